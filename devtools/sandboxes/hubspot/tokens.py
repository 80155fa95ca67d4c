"""OAuth grants: authorization codes, access tokens and refresh tokens with real expiry."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from ..clock import Clock


@dataclass(frozen=True)
class Grant:
    """What an installation granted: which portal, which user, which scopes, to which app."""

    portal_id: int
    user_id: int
    user_email: str
    scopes: tuple[str, ...]
    client_id: str


@dataclass
class AuthCode:
    code: str
    grant: Grant
    redirect_uri: str
    code_challenge: str | None
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: float
    refresh_token: str | None
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    grant: Grant
    revoked: bool = False


class TokenStore:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, AuthCode] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._pending: dict[str, dict[str, Any]] = {}

    def hold(self, authorize_request: dict[str, Any]) -> str:
        """Park a validated authorize request until the user answers the consent page; returns its id."""
        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self._pending[request_id] = authorize_request
        return request_id

    def release(self, request_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._pending.pop(request_id, None)

    def new_code(self, grant: Grant, redirect_uri: str, code_challenge: str | None, ttl: int) -> AuthCode:
        code = AuthCode(str(uuid.uuid4()), grant, redirect_uri, code_challenge, self.clock.time() + ttl)
        with self._lock:
            self._codes[code.code] = code
        return code

    def take_code(self, code: str) -> AuthCode | None:
        """The code if it exists, is unused and unexpired; it is used up either way (single use)."""
        with self._lock:
            found = self._codes.get(code)
            if found is None or found.used or found.expires_at < self.clock.time():
                if found is not None:
                    found.used = True
                return None
            found.used = True
            return found

    def issue(
        self, grant: Grant, ttl: int, refresh_token: str | None = None
    ) -> tuple[AccessToken, RefreshToken]:
        """A new access token, with a new refresh token unless ``refresh_token`` is kept."""
        with self._lock:
            if refresh_token is None:
                refresh = RefreshToken(f"na1-{uuid.uuid4().hex[:4]}-{uuid.uuid4()}", grant)
                self._refresh[refresh.token] = refresh
            else:
                refresh = self._refresh[refresh_token]
            access = AccessToken(
                "C" + secrets.token_urlsafe(96), grant, self.clock.time() + ttl, refresh.token
            )
            self._access[access.token] = access
        return access, refresh

    def seconds_left(self, access: AccessToken) -> int:
        """Whole seconds until ``access`` expires by the sandbox's clock (negative: expired that long ago)."""
        return int(access.expires_at - self.clock.time())

    def access(self, token: str) -> AccessToken | None:
        with self._lock:
            return self._access.get(token)

    def refresh(self, token: str) -> RefreshToken | None:
        with self._lock:
            found = self._refresh.get(token)
            return None if found is None or found.revoked else found

    def revoke_refresh(self, token: str) -> bool:
        with self._lock:
            found = self._refresh.get(token)
            if found is None or found.revoked:
                return False
            found.revoked = True
            return True

    def revoke_access(self, token: str) -> bool:
        with self._lock:
            found = self._access.get(token)
            if found is None or found.revoked:
                return False
            found.revoked = True
            return True

    def expire_access(self, token: str | None = None, portal_id: int | None = None) -> int:
        """Force access tokens to be expired now: one token, a portal's, or all. Returns how many."""
        now = self.clock.time()
        with self._lock:
            chosen = [
                item
                for item in self._access.values()
                if (token is None or item.token == token)
                and (portal_id is None or item.grant.portal_id == portal_id)
            ]
            for item in chosen:
                item.expires_at = min(item.expires_at, now - 1)
        return len(chosen)

    def tokens(self) -> tuple[list[AccessToken], list[RefreshToken]]:
        """Every access and refresh token (for saving the state; codes and pending consents are not kept)."""
        with self._lock:
            return list(self._access.values()), list(self._refresh.values())

    def replace_tokens(self, access: list[AccessToken], refresh: list[RefreshToken]) -> None:
        """Hold exactly these tokens (a restored state); codes and pending consents are dropped."""
        with self._lock:
            self._codes.clear()
            self._pending.clear()
            self._access = {item.token: item for item in access}
            self._refresh = {item.token: item for item in refresh}

    def clear(self) -> None:
        with self._lock:
            self._codes.clear()
            self._pending.clear()
            self._access.clear()
            self._refresh.clear()
