"""What every HubSpot API call goes through: bearer token, rate limit, scopes, request validation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import current_app, g, request

from .errors import (
    ApiError,
    expired_authentication,
    invalid_authentication,
    missing_scopes,
    secondly_limit,
    ten_secondly_limit,
)
from .state import Portal, SandboxState
from .tokens import AccessToken
from .validation import validate_request

EXTENSION_KEY = "hubspot_sandbox"
STANDARD, SEARCH, EXEMPT = "standard", "search", "exempt"


def sandbox() -> SandboxState:
    return current_app.extensions[EXTENSION_KEY]


@dataclass(frozen=True)
class Call:
    portal: Portal
    token: AccessToken


def authenticate(state: SandboxState) -> AccessToken:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    found = state.tokens.access(value.strip()) if scheme.lower() == "bearer" and value.strip() else None
    if found is None or found.revoked:
        raise invalid_authentication()
    left = found.seconds_left()
    if left < 0:
        raise expired_authentication(-left)
    return found


def _rate_limit(state: SandboxState, portal_id: int, bucket: str) -> None:
    config = state.config
    if bucket == SEARCH:
        verdict = state.limiter.hit(("search", portal_id), config.search_rate_per_second, 1000)
        if not verdict.allowed:
            raise ApiError(429, secondly_limit(str(uuid.uuid4())))
        return
    if bucket != STANDARD:
        return
    verdict = state.limiter.hit(("standard", portal_id), config.rate_limit_max, config.rate_limit_interval_ms)
    headers = {
        "X-HubSpot-RateLimit-Max": str(verdict.limit),
        "X-HubSpot-RateLimit-Remaining": str(verdict.remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(verdict.interval_ms),
    }
    g.rate_headers = headers
    if not verdict.allowed:
        raise ApiError(429, ten_secondly_limit(str(uuid.uuid4())), headers)


def guard(*scope_sets: frozenset[str], bucket: str = STANDARD) -> Call:
    """Authenticate, count against the portal's limit, check scopes (one of each set), validate."""
    state = sandbox()
    token = authenticate(state)
    g.portal_id = token.grant.portal_id
    _rate_limit(state, token.grant.portal_id, bucket)
    granted = set(token.grant.scopes)
    for needed in scope_sets:
        if not granted & needed:
            raise missing_scopes(sorted(needed))
    if state.config.validate_requests:
        validate_request(request)
    return Call(state.portal(token.grant.portal_id), token)
