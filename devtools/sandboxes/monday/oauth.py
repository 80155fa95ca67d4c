"""monday's OAuth for apps (its OAuth docs): the consent page and both token flows.

* ``GET /oauth2/authorize`` shows a consent page (buttons ``#approve`` / ``#deny``); the decision
  redirects to ``redirect_uri`` with ``code`` and ``state`` (or ``error=access_denied``).
* Legacy flow, ``POST /oauth2/token``: returns only an ``access_token`` that never expires.
* OAuth 2.1 flow, ``POST /oauth_ms/oauth/token``: ``authorization_code`` (PKCE S256 checked when the
  authorize step carried a challenge) and ``refresh_token`` grants; the access token is a JWT whose
  ``exp`` is its only lifetime (no ``expires_in``), and every refresh rotates the refresh token.
  ``POST /oauth_ms/oauth/revoke`` answers ``{"success": true}``.

Error bodies are RFC 6749 ``{"error", "error_description"}``; monday does not publish its exact
wording, so these are the sandbox's.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from flask import Blueprint, Response, current_app, redirect, request

from .http import reply
from .state import SandboxState, Token

KNOWN_SCOPES = (
    "account:read",
    "assets:read",
    "boards:read",
    "boards:write",
    "docs:read",
    "docs:write",
    "me:read",
    "users:read",
    "webhooks:read",
    "webhooks:write",
)
CODE_TTL = 300

blueprint = Blueprint("monday_oauth", __name__)


@dataclass
class Pending:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    created: float


@dataclass
class Code:
    pending: Pending
    user_id: int
    created: float


def _state() -> SandboxState:
    return current_app.extensions["monday_sandbox"]


def _store() -> dict[str, Any]:
    return current_app.extensions["monday_sandbox_oauth"]


def _error(error: str, description: str, status: int = 400) -> Response:
    return reply({"error": error, "error_description": description}, status)


def _redirect_allowed(state: SandboxState, uri: str) -> bool:
    if state.config.redirect_uris:
        return uri in state.config.redirect_uris
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"}


@blueprint.get("/oauth2/authorize")
def authorize() -> Response | tuple[str, int]:
    state = _state()
    args = request.args
    if args.get("client_id") != state.config.client_id:
        return "Unknown client_id", 400
    redirect_uri = args.get("redirect_uri", "")
    if not _redirect_allowed(state, redirect_uri):
        return "redirect_uri is not registered for this app", 400
    scopes = tuple(scope for scope in args.get("scope", "").split() if scope)
    unknown = [scope for scope in scopes if scope not in KNOWN_SCOPES]
    if unknown:
        return f"Unknown scope(s): {', '.join(unknown)}", 400
    method = args.get("code_challenge_method")
    if args.get("code_challenge") and method not in (None, "S256"):
        return "Only code_challenge_method=S256 is supported", 400
    request_id = secrets.token_urlsafe(16)
    _store()["pending"][request_id] = Pending(
        state.config.client_id,
        redirect_uri,
        scopes,
        args.get("state"),
        args.get("code_challenge"),
        state.clock.time(),
    )
    user = min(state.users.values(), key=lambda u: u.id)
    items = "".join(f"<li>{html.escape(scope)}</li>" for scope in scopes)
    page = f"""<!doctype html><html><head><title>monday.com sandbox: authorize</title></head>
<body><h1>Allow this app to access {html.escape(state.account["name"])}?</h1>
<p>Signed in as {html.escape(user.name)} ({html.escape(user.email)}), account {state.config.account_id}.</p>
<ul>{items}</ul>
<form method="post" action="/oauth2/authorize/decision">
<input type="hidden" name="request_id" value="{request_id}">
<button id="approve" name="decision" value="approve">Authorize</button>
<button id="deny" name="decision" value="deny">Decline</button>
</form></body></html>"""
    return page, 200


@blueprint.post("/oauth2/authorize/decision")
def decision() -> Response | tuple[str, int]:
    pending: Pending | None = _store()["pending"].pop(request.form.get("request_id", ""), None)
    if pending is None or _state().clock.time() - pending.created > CODE_TTL:
        return "This authorization request is unknown or expired", 400
    query: dict[str, str] = {}
    if request.form.get("decision") == "approve":
        code = secrets.token_urlsafe(24)
        _store()["codes"][code] = Code(pending, min(_state().users), _state().clock.time())
        query["code"] = code
    else:
        query["error"] = "access_denied"
    if pending.state is not None:
        query["state"] = pending.state
    separator = "&" if "?" in pending.redirect_uri else "?"
    return redirect(f"{pending.redirect_uri}{separator}{urlencode(query)}", 302)


def _client_ok(state: SandboxState) -> bool:
    form = request.form
    return (
        form.get("client_id") == state.config.client_id
        and form.get("client_secret") == state.config.client_secret
    )


def _take_code(state: SandboxState) -> Code | Response:
    form = request.form
    code: Code | None = _store()["codes"].pop(form.get("code", ""), None)
    if code is None or state.clock.time() - code.created > CODE_TTL:
        return _error("invalid_grant", "The authorization code is invalid, expired or already used")
    if form.get("redirect_uri") and form.get("redirect_uri") != code.pending.redirect_uri:
        return _error("invalid_grant", "redirect_uri does not match the authorization request")
    if code.pending.code_challenge:
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if digest != code.pending.code_challenge:
            return _error("invalid_grant", "code_verifier does not match the code_challenge")
    return code


@blueprint.post("/oauth2/token")
def legacy_token() -> Response:
    state = _state()
    if not _client_ok(state):
        return _error("invalid_client", "Unknown client or wrong client_secret", 401)
    code = _take_code(state)
    if isinstance(code, Response):
        return code
    token = secrets.token_urlsafe(32)
    state.tokens[token] = Token(token, code.user_id, "oauth", code.pending.scopes)
    return reply({"access_token": token, "token_type": "Bearer", "scope": " ".join(code.pending.scopes)})


def _issue_v2(state: SandboxState, user_id: int, scopes: tuple[str, ...]) -> dict[str, Any]:
    now = int(state.clock.time())
    expires = now + state.config.access_token_ttl
    access = jwt.encode(
        {
            "uid": user_id,
            "actid": state.config.account_id,
            "aai": 1,
            "iat": now,
            "exp": expires,
            "scp": " ".join(scopes),
            "jti": secrets.token_hex(8),
        },
        _store()["jwt_key"],
        algorithm="HS256",
    )
    refresh = "r_" + secrets.token_urlsafe(32)
    state.tokens[access] = Token(access, user_id, "oauth", scopes, expires_at=float(expires))
    _store()["refresh"][refresh] = (user_id, scopes)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "scope": " ".join(scopes),
    }


@blueprint.post("/oauth_ms/oauth/token")
def token_v2() -> Response:
    state = _state()
    if not _client_ok(state):
        return _error("invalid_client", "Unknown client or wrong client_secret", 401)
    grant = request.form.get("grant_type")
    if grant == "authorization_code":
        code = _take_code(state)
        if isinstance(code, Response):
            return code
        return reply(_issue_v2(state, code.user_id, code.pending.scopes))
    if grant == "refresh_token":
        found = _store()["refresh"].pop(request.form.get("refresh_token", ""), None)  # rotation: single use
        if found is None:
            return _error("invalid_grant", "The refresh token is invalid, revoked or already used")
        return reply(_issue_v2(state, *found))
    return _error("unsupported_grant_type", f"grant_type {grant!r} is not supported")


@blueprint.post("/oauth_ms/oauth/revoke")
def revoke() -> Response:
    state = _state()
    if not _client_ok(state):
        return _error("invalid_client", "Unknown client or wrong client_secret", 401)
    value = request.form.get("token", "")
    _store()["refresh"].pop(value, None)
    if value in state.tokens:
        state.tokens[value].revoked = True
    return reply({"success": True})


def new_store() -> dict[str, Any]:
    return {"pending": {}, "codes": {}, "refresh": {}, "jwt_key": secrets.token_hex(32)}
