"""OAuth 2.0 as Salesforce runs it (/work/shared/reference/salesforce-api.md): the web server flow with
PKCE and ``state``, the token endpoint without ``expires_in`` (``instance_url``, the identity URL ``id``,
``issued_at`` in milliseconds, ``signature``), refresh with or without rotation, introspection,
revocation, and the identity URL itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request

from .guard import sandbox
from .state import AccessToken, RefreshToken, SandboxState

blueprint = Blueprint("salesforce_oauth", __name__, template_folder="templates")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}
REFRESH_SCOPES = {"refresh_token", "offline_access"}


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def _origin() -> str:
    return request.host_url.rstrip("/")


def identity_url(state: SandboxState, user_id: str) -> str:
    return f"{_origin()}/id/{state.config.org_id}/{user_id}"


# --- authorize -------------------------------------------------------------------------------------------
def _error_page(error: str, description: str) -> tuple[str, int]:
    return render_template("oauth_error.html", error=error, description=description), 400


def _redirect_allowed(state: SandboxState, uri: str) -> bool:
    if state.config.redirect_uris:
        return uri in state.config.redirect_uris
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _redirect_with(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return redirect(f"{uri}{'&' if urlsplit(uri).query else '?'}{query}", code=302)


@blueprint.get("/services/oauth2/authorize")
def authorize() -> Any:
    state = sandbox()
    args = request.args
    redirect_uri = args.get("redirect_uri", "")
    if args.get("client_id") != state.config.client_id:
        return _error_page("invalid_client_id", "client identifier invalid")
    if not redirect_uri or not _redirect_allowed(state, redirect_uri):
        return _error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
    if args.get("response_type") != "code":
        return _redirect_with(
            redirect_uri,
            {
                "error": "unsupported_response_type",
                "error_description": "response type not supported",
                "state": args.get("state"),
            },
        )
    method = args.get("code_challenge_method", "S256")
    if args.get("code_challenge") and method != "S256":
        return _redirect_with(
            redirect_uri,
            {
                "error": "invalid_request",
                "error_description": "invalid code challenge method",
                "state": args.get("state"),
            },
        )
    scopes = args.get("scope", "api refresh_token").split()
    request_id = secrets.token_urlsafe(16)
    with state.lock:
        state.consents[request_id] = {
            "redirect_uri": redirect_uri,
            "state": args.get("state"),
            "scope": " ".join(scopes),
            "challenge": args.get("code_challenge"),
        }
        users = [
            user
            for user in state.records["User"].values()
            if user["IsActive"] and user["UserType"] == "Standard"
        ]
    return render_template(
        "consent.html",
        client_id=state.config.client_id,
        scopes=scopes,
        users=users,
        request_id=request_id,
        redirect_uri=redirect_uri,
        org_id=state.config.org_id,
    )


@blueprint.post("/services/oauth2/authorize/decision")
def decide() -> Any:
    state = sandbox()
    with state.lock:
        held = state.consents.pop(request.form.get("request_id", ""), None)
    if held is None:
        return _error_page(
            "invalid_request", "This authorization request has expired or was already answered."
        )
    if request.form.get("decision") != "approve":
        return _redirect_with(
            held["redirect_uri"],
            {
                "error": "access_denied",
                "error_description": "end-user denied authorization",
                "state": held["state"],
            },
        )
    with state.lock:
        user_id = request.form.get("user_id") or next(iter(state.records["User"]))
        code = "aPrx" + secrets.token_urlsafe(32)
        state.codes[code] = {
            **held,
            "user_id": user_id,
            "expires": state.clock.time() + state.config.auth_code_ttl,
        }
    return _redirect_with(held["redirect_uri"], {"code": code, "state": held["state"]})


# --- token -------------------------------------------------------------------------------------------------
def _client_ok(state: SandboxState) -> Response | None:
    """Client authentication: form fields or HTTP Basic."""
    client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    if request.authorization and request.authorization.type == "basic":
        client_id, secret = request.authorization.username, request.authorization.password
    if client_id != state.config.client_id:
        return oauth_error("invalid_client_id", "client identifier invalid")
    if secret is not None and secret != state.config.client_secret:
        return oauth_error("invalid_client", "invalid client credentials")
    return None


@blueprint.post("/services/oauth2/token")
def token() -> Response:
    state = sandbox()
    refused = _client_ok(state)
    if refused is not None:
        return refused
    grant = request.form.get("grant_type")
    with state.lock:
        if grant == "authorization_code":
            return _exchange_code(state)
        if grant == "refresh_token":
            return _refresh(state)
    return oauth_error("unsupported_grant_type", "grant type not supported")


def _exchange_code(state: SandboxState) -> Response:
    if request.form.get("client_secret") is None and not request.authorization:
        return oauth_error("invalid_client", "invalid client credentials")
    held = state.codes.pop(request.form.get("code", ""), None)  # single use, even when refused
    if held is None or held["expires"] <= state.clock.time():
        return oauth_error("invalid_grant", "invalid authorization code")
    if request.form.get("redirect_uri") != held["redirect_uri"]:
        return oauth_error("invalid_grant", "redirect_uri must match configuration")
    if held["challenge"]:
        verifier = request.form.get("code_verifier")
        if not verifier:
            return oauth_error("invalid_grant", "invalid code verifier")
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != held["challenge"]:
            return oauth_error("invalid_request", "invalid code verifier")
    refresh = None
    if REFRESH_SCOPES & set(held["scope"].split()):
        refresh = _new_refresh(state, held["user_id"], held["scope"])
    return jsonify(_issue(state, held["user_id"], held["scope"], refresh, include_refresh=True))


def _refresh(state: SandboxState) -> Response:
    old = state.refresh_tokens.get(request.form.get("refresh_token", ""))
    if old is None or not old.valid(state.clock.time()):
        return oauth_error("invalid_grant", "expired access/refresh token")
    current = old
    if state.config.refresh_token_rotation:
        old.revoked = True
        current = state.refresh_tokens[_new_refresh(state, old.user_id, old.scope)]
    rotated = state.config.refresh_token_rotation
    return jsonify(_issue(state, current.user_id, current.scope, current.token, include_refresh=rotated))


def _new_refresh(state: SandboxState, user_id: str, scope: str) -> str:
    value = "5Aep861" + secrets.token_urlsafe(48)
    ttl = state.config.refresh_token_ttl
    expires = state.clock.time() + ttl if ttl else None
    state.refresh_tokens[value] = RefreshToken(value, user_id, scope, expires_at=expires)
    return value


def _issue(
    state: SandboxState, user_id: str, scope: str, refresh: str | None, *, include_refresh: bool
) -> dict[str, Any]:
    value = f"{state.config.org_id[:15]}!AQ{secrets.token_urlsafe(60)}"
    issued_ms = state.clock.now_ms()
    expires = state.clock.time() + state.config.access_token_ttl
    state.access_tokens[value] = AccessToken(value, user_id, scope, issued_ms, expires, refresh)
    issued_at = str(issued_ms // 1000 if state.config.issued_at_unit == "s" else issued_ms)
    identity = identity_url(state, user_id)
    signed = hmac.new(state.config.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256)
    body: dict[str, Any] = {"access_token": value}
    if include_refresh and refresh:
        body["refresh_token"] = refresh
    body.update(
        signature=base64.b64encode(signed.digest()).decode(),
        scope=scope,
        instance_url=_origin(),
        id=identity,
        token_type="Bearer",  # noqa: S106
        issued_at=issued_at,
    )
    return body


def mint(state: SandboxState, user_id: str, scope: str = "api refresh_token") -> dict[str, Any]:
    """A token pair without the consent page (the control API's ``POST /tokens``). Call under the lock."""
    refresh = _new_refresh(state, user_id, scope)
    return _issue(state, user_id, scope, refresh, include_refresh=True)


# --- revoke, introspect, identity ---------------------------------------------------------------------
@blueprint.route("/services/oauth2/revoke", methods=["GET", "POST"])
def revoke() -> Response:
    state = sandbox()
    value = request.values.get("token", "")
    with state.lock:
        if value in state.refresh_tokens:
            state.refresh_tokens[value].revoked = True
            for access in state.access_tokens.values():
                if access.refresh_token == value:
                    access.revoked = True
        elif value in state.access_tokens:
            state.access_tokens[value].revoked = True
        else:
            return oauth_error("invalid_token", "invalid token")
    return Response(status=200)


@blueprint.post("/services/oauth2/introspect")
def introspect() -> Response:
    state = sandbox()
    refused = _client_ok(state)
    if refused is not None or (request.form.get("client_secret") is None and not request.authorization):
        return refused or oauth_error("invalid_client", "invalid client credentials")
    if state.config.introspection == "forbidden":
        return oauth_error("insufficient_access", "this app may not introspect tokens", 403)
    if state.config.introspection == "inactive":
        return jsonify({"active": False})
    value = request.form.get("token", "")
    with state.lock:
        access = state.access_tokens.get(value)
        refresh = state.refresh_tokens.get(value)
        now = state.clock.time()
        if access is not None and access.valid(now):
            user = state.records["User"].get(access.user_id, {})
            iat = access.issued_ms // 1000
            return jsonify(
                {
                    "active": True,
                    "scope": access.scope,
                    "client_id": state.config.client_id,
                    "username": user.get("Username"),
                    "sub": identity_url(state, access.user_id),
                    "token_type": "access_token",
                    "exp": int(access.expires_at),
                    "iat": iat,
                    "nbf": iat,
                }
            )
        if refresh is not None and refresh.valid(now):
            user = state.records["User"].get(refresh.user_id, {})
            return jsonify(
                {
                    "active": True,
                    "scope": refresh.scope,
                    "client_id": state.config.client_id,
                    "username": user.get("Username"),
                    "sub": identity_url(state, refresh.user_id),
                    "token_type": "refresh_token",
                }
            )
    return jsonify({"active": False})


@blueprint.route("/id/<org_id>/<user_id>", methods=["GET", "POST"])
def identity(org_id: str, user_id: str) -> Response:
    """guard.py has checked the bearer token (and charged the call)."""
    state = sandbox()
    with state.lock:
        user = state.records["User"].get(user_id)
    if org_id != state.config.org_id or user is None:
        return oauth_error("Bad_Id", "Bad id", 404)
    if g.token.user_id != user_id:
        return oauth_error("Forbidden", "the token belongs to another user", 403)
    rest = f"{_origin()}/services/data/v{{version}}/"
    return jsonify(
        {
            "id": identity_url(state, user_id),
            "asserted_user": True,
            "user_id": user_id,
            "organization_id": state.config.org_id,
            "username": user["Username"],
            "nick_name": user["FirstName"],
            "display_name": user["Name"],
            "email": user["Email"],
            "email_verified": True,
            "first_name": user["FirstName"],
            "last_name": user["LastName"],
            "timezone": user["TimeZoneSidKey"],
            "active": user["IsActive"],
            "user_type": user["UserType"].upper(),
            "language": "en_US",
            "locale": "en_GB",
            "utcOffset": 0,
            "last_modified_date": user["LastModifiedDate"],
            "is_app_installed": True,
            "urls": {
                "rest": rest,
                "sobjects": rest + "sobjects/",
                "query": rest + "query/",
                "limits": rest + "limits/",
            },
        }
    )
