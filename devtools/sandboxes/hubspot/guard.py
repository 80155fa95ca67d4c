"""What every HubSpot API call goes through: bearer token, rate limit, scopes, request validation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app, g, request

from .errors import (
    ApiError,
    expired_authentication,
    invalid_authentication,
    missing_scopes,
    rate_limit_body,
)
from .ratelimit import Verdict
from .state import Portal, SandboxState
from .tokens import AccessToken
from .validation import validate_request

EXTENSION_KEY = "hubspot_sandbox"
STANDARD, SEARCH, EXEMPT = "standard", "search", "exempt"
# The search endpoints (``crm.search`` under both object prefixes in app.py): their own bucket.
SEARCH_PATH = re.compile(r"/crm/(?:v3/objects|objects/2026-03)/[^/]+/search/?")


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
    left = state.tokens.seconds_left(found)
    if left < 0:
        raise expired_authentication(-left)
    return found


def bucket_of(path: str) -> str:
    """The bucket a path counts against, known before its endpoint runs (for app.py's injected 429s)."""
    return SEARCH if SEARCH_PATH.fullmatch(path) else STANDARD


def rate_limit_headers(verdict: Verdict) -> dict[str, str]:
    return {
        "X-HubSpot-RateLimit-Max": str(verdict.limit),
        "X-HubSpot-RateLimit-Remaining": str(verdict.remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(verdict.interval_ms),
    }


def rate_limited(state: SandboxState, bucket: str, verdict: Verdict | None = None) -> ApiError:
    """HubSpot's 429 for ``bucket``, from the limiter (its ``verdict``) or injected by a fault (app.py).

    Both come from here so an injected 429 is indistinguishable from a real one: search answers the
    SECONDLY policy with no ``X-HubSpot-RateLimit-*`` headers (HubSpot sends none on search), every other
    path TEN_SECONDLY_ROLLING with the portal's budget headers, nothing remaining.
    """
    if bucket == SEARCH:
        return ApiError(429, rate_limit_body("SECONDLY"))
    config = state.config
    verdict = verdict or Verdict(False, config.rate_limit_max, 0, config.rate_limit_interval_ms)
    return ApiError(429, rate_limit_body("TEN_SECONDLY_ROLLING"), rate_limit_headers(verdict))


def _rate_limit(state: SandboxState, portal_id: int, bucket: str) -> None:
    config = state.config
    if bucket == SEARCH:
        verdict = state.limiter.hit(("search", portal_id), config.search_rate_per_second, 1000)
        if not verdict.allowed:
            raise rate_limited(state, bucket, verdict)
        return
    if bucket != STANDARD:
        return
    verdict = state.limiter.hit(("standard", portal_id), config.rate_limit_max, config.rate_limit_interval_ms)
    g.rate_headers = rate_limit_headers(verdict)
    if not verdict.allowed:
        raise rate_limited(state, bucket, verdict)


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
