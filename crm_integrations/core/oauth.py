"""OAuth 2.0 authorization-code flow with PKCE, for every provider that connects by OAuth.

Authlib builds the authorize URL, exchanges the code, refreshes and revokes; this module adds
what a server-to-server connection needs around it: a single-use ``state`` bound to the user's
session and organization that expires in ten minutes, the PKCE verifier kept server-side, and
errors mapped onto the provider contract's (a rejected grant is ``AuthRevoked``).
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.utils import timezone

from .errors import AuthRevoked, CrmError, InvalidRequest, ProviderUnavailable

logger = logging.getLogger(__name__)

STATE_TTL_SECONDS = 600
SESSION_KEY = "crm_oauth_pending"
#: OAuth errors that mean the grant itself is gone: a person has to connect again.
REVOKED_GRANT_ERRORS = frozenset(
    {"invalid_grant", "BAD_REFRESH_TOKEN", "unauthorized_client", "invalid_client"}
)


@dataclass(frozen=True)
class OAuthApp:
    """One provider app's registration in one environment (production or sandbox)."""

    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    redirect_uri: str
    scopes: tuple[str, ...]
    optional_scopes: tuple[str, ...] = ()
    revoke_url: str = ""
    introspect_url: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime | None
    scopes: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class PendingAuthorization:
    """What the callback needs to finish: whose connection, and the PKCE verifier."""

    provider: str
    organization_id: int
    environment: str
    user_id: int
    code_verifier: str = field(repr=False)


class OAuthFlowError(Exception):
    """A connect attempt that cannot finish; the message is safe to show to staff."""


def _session(app: OAuthApp) -> OAuth2Session:
    session = OAuth2Session(
        client_id=app.client_id,
        client_secret=app.client_secret,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name, not a secret
        revocation_endpoint_auth_method="client_secret_post",
        scope=" ".join(app.scopes),
        redirect_uri=app.redirect_uri,
        code_challenge_method="S256",
        default_timeout=(settings.CRM_HTTP["CONNECT_TIMEOUT"], settings.CRM_HTTP["READ_TIMEOUT"]),
    )
    # HubSpot's classic error bodies say {"status": "BAD_REFRESH_TOKEN", "message": ...} with no
    # RFC 6749 "error" member; without this hook Authlib would take such a body for a token.
    session.register_compliance_hook("access_token_response", _standardize_error_body)
    session.register_compliance_hook("refresh_token_response", _standardize_error_body)
    return session


def _standardize_error_body(response: requests.Response) -> requests.Response:
    if response.status_code < 400:
        return response
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" not in body:
        body = {**body, "error": body.get("status") or f"http_{response.status_code}"}
        body.setdefault("error_description", body.get("message", ""))
        response._content = requests.models.complexjson.dumps(body).encode()
    return response


def begin(request: Any, *, provider: str, app: OAuthApp, organization_id: int, environment: str) -> str:
    """Remember a fresh state and PKCE verifier in the session; return the provider's authorize URL."""
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    now = time.time()
    pending = {
        key: value
        for key, value in request.session.get(SESSION_KEY, {}).items()
        if now - value["created"] < STATE_TTL_SECONDS
    }
    pending[state] = {
        "provider": provider,
        "organization_id": organization_id,
        "environment": environment,
        "user_id": request.user.pk,
        "verifier": verifier,
        "created": now,
    }
    request.session[SESSION_KEY] = pending
    extra = {"optional_scope": " ".join(app.optional_scopes)} if app.optional_scopes else {}
    url, _ = _session(app).create_authorization_url(
        app.authorize_url, state=state, code_verifier=verifier, **extra
    )
    return url


def consume_state(request: Any, *, provider: str, state: str) -> PendingAuthorization:
    """Take the state out of the session (single use) and check it is fresh and ours."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending
    if entry is None:
        raise OAuthFlowError("This connection attempt is unknown or was already used. Please start again.")
    if time.time() - entry["created"] >= STATE_TTL_SECONDS:
        raise OAuthFlowError("This connection attempt expired (10 minutes). Please start again.")
    if entry["provider"] != provider or entry["user_id"] != request.user.pk:
        raise OAuthFlowError("This connection attempt does not belong to you. Please start again.")
    return PendingAuthorization(
        provider=entry["provider"],
        organization_id=entry["organization_id"],
        environment=entry["environment"],
        user_id=entry["user_id"],
        code_verifier=entry["verifier"],
    )


def exchange_code(app: OAuthApp, *, code: str, code_verifier: str) -> TokenSet:
    return _token_call(
        app,
        lambda session: session.fetch_token(
            app.token_url, grant_type="authorization_code", code=code, code_verifier=code_verifier
        ),
        action="exchange the authorization code",
    )


def refresh(app: OAuthApp, *, refresh_token: str) -> TokenSet:
    """New tokens for a refresh token; the old refresh token is kept when none comes back."""
    return _token_call(
        app,
        lambda session: session.refresh_token(app.token_url, refresh_token=refresh_token),
        action="refresh the access token",
    )


def revoke(app: OAuthApp, *, refresh_token: str) -> None:
    if not app.revoke_url or not refresh_token:
        return
    _token_call(
        app,
        lambda session: session.revoke_token(
            app.revoke_url,
            token=refresh_token,
            token_type_hint="refresh_token",  # noqa: S106
        ).raise_for_status(),
        action="revoke the refresh token",
        expect_token=False,
    )


def revoke_best_effort(app: OAuthApp, *, refresh_token: str) -> bool:
    """Revoke a grant we will not keep; whether the CRM confirmed it (a failure is logged, not raised)."""
    try:
        revoke(app, refresh_token=refresh_token)
    except CrmError as error:
        logger.warning("The CRM did not confirm revoking a refresh token: %s", error)
        return False
    return True


def _token_call(app: OAuthApp, call: Any, *, action: str, expect_token: bool = True) -> TokenSet | None:
    """Run one token-endpoint call; map every failure onto the contract's errors, without secrets."""
    try:
        token = call(_session(app))
    except OAuthError as error:
        code = error.error or "oauth_error"
        message = f"Could not {action}: {code}"
        if code in REVOKED_GRANT_ERRORS:
            raise AuthRevoked(message, code=code) from None
        raise InvalidRequest(message, code=code) from None
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else None
        raise ProviderUnavailable(f"Could not {action}", status=status, retry_after=30) from None
    except requests.RequestException as error:
        raise ProviderUnavailable(f"Could not {action}: {type(error).__name__}", retry_after=30) from None
    except ValueError as error:
        raise CrmError(f"Could not {action}: {error}") from None
    if not expect_token:
        return None
    return _token_set(token)


def _token_set(token: dict[str, Any]) -> TokenSet:
    expires_in = token.get("expires_in")
    expires_at = timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None
    scope = token.get("scope") or token.get("scopes") or ()
    scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(scope)
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token", ""),
        expires_at=expires_at,
        scopes=scopes,
        raw={k: v for k, v in token.items() if k not in {"access_token", "refresh_token", "id_token"}},
    )
