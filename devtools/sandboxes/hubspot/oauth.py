"""OAuth 2.0 as HubSpot runs it: consent page, code exchange (PKCE), refresh, introspection, revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, redirect, render_template, request

from .errors import ApiError, expired_authentication, not_found, oauth_error
from .guard import sandbox
from .http import no_content, reply
from .object_types import all_scopes
from .state import SandboxState
from .tokens import AccessToken, Grant, RefreshToken

blueprint = Blueprint("oauth", __name__, template_folder="templates")
TOKEN_PATHS = ("/oauth/v1/token", "/oauth/v3/token", "/oauth/2026-03/token")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}


# --- authorize ------------------------------------------------------------------------------------
def _error_page(message: str) -> tuple[str, int]:
    return render_template("oauth_error.html", message=message), 400


def redirect_allowed(state: SandboxState, uri: str) -> bool:
    """Registered URIs match exactly; with none registered, any loopback http URL is allowed."""
    if state.config.redirect_uris:
        return uri in state.config.redirect_uris
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _app_scopes(state: SandboxState) -> set[str]:
    return set(state.config.app_scopes or all_scopes())


@blueprint.get("/oauth/authorize")
@blueprint.get("/oauth/<int:portal_id>/authorize")
def authorize(portal_id: int | None = None) -> Any:
    state = sandbox()
    args = request.args
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    if client_id != state.config.client_id:
        return _error_page(f"Unknown client_id {client_id!r}: no app with this client id is installed here.")
    if not redirect_uri or not redirect_allowed(state, redirect_uri):
        return _error_page(
            f"Authorization failed as the redirect URL {redirect_uri!r} doesn't match the app's "
            "registered redirect URL."
        )
    scopes, optional = args.get("scope", "").split(), args.get("optional_scope", "").split()
    unknown = [scope for scope in scopes if scope not in _app_scopes(state)]
    if not scopes or unknown:
        return _error_page(
            f"Authorization failed because there is a mismatch between the scopes in the install URL "
            f"and the app's configured scopes: {', '.join(unknown) or '(no scope requested)'}."
        )
    challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
    if (challenge or method) and (method != "S256" or not challenge):
        return _error_page("PKCE needs code_challenge with code_challenge_method=S256.")
    if portal_id is not None and portal_id not in state.portals:
        return _error_page(f"Account {portal_id} does not exist in this sandbox.")
    granted = scopes + [scope for scope in optional if scope in _app_scopes(state) and scope not in scopes]
    held = {
        "redirect_uri": redirect_uri,
        "state": args.get("state"),
        "scopes": granted,
        "challenge": challenge,
    }
    request_id = state.tokens.hold(held)
    portals = [portal_id] if portal_id is not None else list(state.portals)
    return render_template(
        "consent.html",
        client_id=client_id,
        app_id=state.config.app_id,
        scopes=scopes,
        optional_scopes=[s for s in granted if s not in scopes],
        request_id=request_id,
        portals=portals,
        redirect_uri=redirect_uri,
        action="/oauth/authorize/decision",
    )


def _redirect_with(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return redirect(f"{uri}{'&' if urlsplit(uri).query else '?'}{query}", code=302)


@blueprint.post("/oauth/authorize/decision")
def decide() -> Any:
    state = sandbox()
    held = state.tokens.release(request.form.get("request_id", ""))
    if held is None:
        return _error_page("This authorization request has expired or was already answered; start again.")
    if request.form.get("decision") != "approve":
        return _redirect_with(
            held["redirect_uri"],
            {
                "error": "access_denied",
                "error_description": "The user denied the request.",
                "state": held["state"],
            },
        )
    portal = state.portal(request.form.get("portal_id") or None)
    user = next((o for o in portal.owners.values() if o.type == "PERSON" and not o.archived), None)
    grant = Grant(
        portal.portal_id,
        user.user_id if user else 1,
        user.email if user else "admin@example.com",
        tuple(held["scopes"]),
        state.config.client_id,
    )
    code = state.tokens.new_code(grant, held["redirect_uri"], held["challenge"], state.config.auth_code_ttl)
    return _redirect_with(held["redirect_uri"], {"code": code.code, "state": held["state"]})


# --- tokens ---------------------------------------------------------------------------------------
def _form() -> dict[str, str]:
    """Form fields (v1 also takes ``client_secret``/``refresh_token`` in the query string)."""
    values = request.args.to_dict() if request.path.startswith("/oauth/v1/") else {}
    values.update(request.form.to_dict())
    return values


def _rfc() -> bool:
    """The v3/2026-03 endpoints add RFC 6749 ``error``/``error_description`` to HubSpot's own fields."""
    return not request.path.startswith("/oauth/v1/")


def _fail(status: str, message: str, rfc_error: str) -> ApiError:
    return oauth_error(status, message, rfc_error if _rfc() else None)


def _check_client(state: SandboxState, form: dict[str, str]) -> None:
    if form.get("client_id") != state.config.client_id:
        raise _fail("BAD_CLIENT_ID", "missing or unknown client id", "invalid_client")
    if not hmac.compare_digest(form.get("client_secret", ""), state.config.client_secret):
        raise _fail("BAD_CLIENT_SECRET", "missing or invalid client secret", "invalid_client")


def _pkce_ok(challenge: str | None, verifier: str | None) -> bool:
    if challenge is None:
        return True
    if not verifier:
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(digest, challenge)


def _token_reply(access: AccessToken, refresh: RefreshToken, ttl: int) -> Response:
    grant = access.grant
    return reply(
        {
            "token_type": "bearer",
            "token_use": "access_token",
            "access_token": access.token,
            "refresh_token": refresh.token,
            "expires_in": ttl,
            "hub_id": grant.portal_id,
            "user_id": grant.user_id,
            "scopes": list(grant.scopes),
        }
    )


@blueprint.post("/oauth/v1/token")
@blueprint.post("/oauth/v3/token")
@blueprint.post("/oauth/2026-03/token")
def token() -> Response:
    state = sandbox()
    form = _form()
    _check_client(state, form)
    ttl = state.config.access_token_ttl
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        code = state.tokens.take_code(form.get("code", ""))
        if code is None or code.grant.client_id != form["client_id"]:
            raise _fail("BAD_AUTH_CODE", "missing or unknown auth code", "invalid_grant")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _fail(
                "BAD_REDIRECT_URI",
                "redirect_uri does not match the one used to get the auth code",
                "invalid_grant",
            )
        if not _pkce_ok(code.code_challenge, form.get("code_verifier")):
            raise _fail("BAD_AUTH_CODE", "code_verifier does not match the code_challenge", "invalid_grant")
        access, refresh = state.tokens.issue(code.grant, ttl)
        return _token_reply(access, refresh, ttl)
    if grant_type == "refresh_token":
        found = state.tokens.refresh(form.get("refresh_token", ""))
        if found is None or found.grant.client_id != form["client_id"]:
            raise _fail("BAD_REFRESH_TOKEN", "missing or invalid refresh token", "invalid_grant")
        if state.config.rotate_refresh_tokens:
            state.tokens.revoke_refresh(found.token)
            access, refresh = state.tokens.issue(found.grant, ttl)
        else:
            access, refresh = state.tokens.issue(found.grant, ttl, refresh_token=found.token)
        return _token_reply(access, refresh, ttl)
    raise _fail("BAD_GRANT_TYPE", f"unsupported grant_type {grant_type!r}", "unsupported_grant_type")


# --- introspection and revocation -----------------------------------------------------------------
def _token_info(state: SandboxState, token: str, grant: Grant, token_type: str) -> dict[str, Any]:
    """What HubSpot's token metadata says about any token: its grant's user, portal and scopes."""
    return {
        "token": token,
        "user": grant.user_email,
        "hub_domain": state.portal(grant.portal_id).hub_domain,
        "scopes": list(grant.scopes),
        "hub_id": grant.portal_id,
        "user_id": grant.user_id,
        "token_type": token_type,
    }


def access_info(state: SandboxState, access: AccessToken, *, v3: bool) -> dict[str, Any]:
    info = _token_info(state, access.token, access.grant, "access")
    info.update(
        {
            "app_id": state.config.app_id,
            "expires_in": max(state.tokens.seconds_left(access), 0),
            "is_private_distribution": False,
            "signed_access_token": _signed(state, access),
        }
    )
    if v3:
        info.update({"active": True, "token_use": "access_token", "client_id": access.grant.client_id})
    return info


def _signed(state: SandboxState, access: AccessToken) -> dict[str, Any]:
    grant = access.grant
    return {
        "expiresAt": int(access.expires_at * 1000),
        "scopes": " ".join(grant.scopes),
        "hubId": grant.portal_id,
        "userId": grant.user_id,
        "appId": state.config.app_id,
        "installingUserId": grant.user_id,
        "signature": hashlib.sha256(access.token.encode()).hexdigest(),
        "newSignature": "",
        "hublet": "na1",
        "scopeToScopeGroupPks": "",
        "trialScopes": "",
        "trialScopeToScopeGroupPks": "",
        "isUserLevel": False,
        "isServiceAccount": False,
        "isPrivateDistribution": False,
        "appInstallId": f"{grant.portal_id}-{state.config.app_id}",
        "audience": grant.client_id,
    }


def refresh_info(state: SandboxState, refresh: RefreshToken, *, v3: bool) -> dict[str, Any]:
    info = _token_info(state, refresh.token, refresh.grant, "refresh")
    info["client_id"] = refresh.grant.client_id
    if v3:
        info.update({"active": True, "token_use": "refresh_token", "app_id": state.config.app_id})
    return info


@blueprint.post("/oauth/v3/token/introspect")
@blueprint.post("/oauth/2026-03/token/introspect")
def introspect() -> Response:
    state = sandbox()
    form = _form()
    _check_client(state, form)
    value, hint = form.get("token", ""), form.get("token_type_hint", "")
    access = state.tokens.access(value) if hint != "refresh_token" else None
    if access is not None and not access.revoked and state.tokens.seconds_left(access) >= 0:
        return reply(access_info(state, access, v3=True))
    refresh = state.tokens.refresh(value) if hint != "access_token" else None
    if refresh is not None:
        return reply(refresh_info(state, refresh, v3=True))
    return reply({"active": False})


@blueprint.post("/oauth/v3/token/revoke")
@blueprint.post("/oauth/2026-03/token/revoke")
def revoke() -> Response:
    state = sandbox()
    form = _form()
    _check_client(state, form)
    value = form.get("token", "")
    if not state.tokens.revoke_refresh(value):
        state.tokens.revoke_access(value)
    return Response(status=200)  # RFC 7009: unknown tokens are not an error


@blueprint.get("/oauth/v1/access-tokens/<path:value>")
def access_token_info(value: str) -> Response:
    state = sandbox()
    access = state.tokens.access(value)
    if access is None or access.revoked:
        raise not_found("access token not found")
    if state.tokens.seconds_left(access) < 0:
        raise expired_authentication(-state.tokens.seconds_left(access))
    return reply(access_info(state, access, v3=False))


@blueprint.get("/oauth/v1/refresh-tokens/<path:value>")
def refresh_token_info(value: str) -> Response:
    state = sandbox()
    refresh = state.tokens.refresh(value)
    if refresh is None:
        raise not_found("refresh token not found")
    return reply(refresh_info(state, refresh, v3=False))


@blueprint.delete("/oauth/v1/refresh-tokens/<path:value>")
def delete_refresh_token(value: str) -> Response:
    if not sandbox().tokens.revoke_refresh(value):
        raise not_found("refresh token not found")
    return no_content()
