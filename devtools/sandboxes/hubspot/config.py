"""Sandbox configuration: the app registration, token lifetimes, limits, webhook delivery and seeding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..settings import RuntimeSettings

DEFAULT_PORTAL_ID = 24000001
DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - a public, sandbox-only default

# HubSpot: "up to 10 retries spread over 24 hours with randomized delays", no published schedule.
# Ours: ten growing delays adding up to just under 24 h (jittered by ±10 % at run time).
APP_WEBHOOK_RETRY_DELAYS: tuple[float, ...] = (60, 120, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800)


def _workflow_retry_delays() -> tuple[float, ...]:
    """Workflow webhooks: first retry 1 min after failure, gaps growing up to 8 h, for up to 3 days."""
    delays: list[float] = []
    delay, total = 60.0, 0.0
    while total + delay <= 3 * 24 * 3600:
        delays.append(delay)
        total += delay
        delay = min(delay * 2, 8 * 3600)
    return tuple(delays)


WORKFLOW_RETRY_DELAYS = _workflow_retry_delays()


@dataclass
class SandboxConfig(RuntimeSettings):
    """Everything tunable. Fields marked "runtime" can also be changed via ``PATCH /_sandbox/config``."""

    portal_ids: tuple[int, ...] = (DEFAULT_PORTAL_ID,)
    app_id: int = 3000001
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    # Exact redirect URIs registered for the app; empty = any http://127.0.0.1:<port>/... or http://localhost:...
    redirect_uris: tuple[str, ...] = ()
    # Scopes the app may request; empty = every scope the sandbox knows.
    app_scopes: tuple[str, ...] = ()
    access_token_ttl: int = 1800  # runtime; HubSpot's expires_in
    auth_code_ttl: int = 300  # runtime
    rotate_refresh_tokens: bool = False  # runtime; HubSpot answers a refresh with the same refresh token
    rate_limit_max: int = 110  # runtime; per portal per interval
    rate_limit_interval_ms: int = 10_000  # runtime
    search_rate_per_second: int = 5  # runtime
    validate_requests: bool = True  # runtime; OpenAPI request validation
    signed_url_default_ttl: int = 3600  # runtime; signed file URLs when expirationSeconds is not given
    seed: int = 1
    seed_leads: int = 20
    webhook_target_url: str | None = None  # runtime
    webhook_timeout: float = 5.0  # runtime; HubSpot: answer within 5 s
    webhook_retry_delays: tuple[float, ...] = APP_WEBHOOK_RETRY_DELAYS
    webhook_max_concurrent: int = 10
    webhook_batch_window: float = 0.05  # seconds events are collected before a batch is sent
    workflow_timeout: float = 30.0
    workflow_retry_delays: tuple[float, ...] = WORKFLOW_RETRY_DELAYS
    retry_time_scale: float = 1.0  # runtime; multiplies every retry delay (e.g. 0.001 in tests)
    # Keep the whole state in this JSON file: loaded at start when it exists (instead of seeding), saved
    # after changes (at most once per ``state_save_interval`` s) and on a clean stop. None = memory only.
    state_file: str | None = None
    state_save_interval: float = 1.0

    RUNTIME_FIELDS: ClassVar[tuple[str, ...]] = (
        "access_token_ttl",
        "auth_code_ttl",
        "rotate_refresh_tokens",
        "rate_limit_max",
        "rate_limit_interval_ms",
        "search_rate_per_second",
        "validate_requests",
        "signed_url_default_ttl",
        "webhook_target_url",
        "webhook_timeout",
        "retry_time_scale",
    )

    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "portal_ids",
        "redirect_uris",
        "app_scopes",
        "webhook_retry_delays",
        "workflow_retry_delays",
    )

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> SandboxConfig:
        """Build from keyword arguments; ``portal_id`` is accepted as shorthand for ``portal_ids``."""
        if "portal_id" in kwargs:
            kwargs["portal_ids"] = (int(kwargs.pop("portal_id")),)
        return super().from_kwargs(**kwargs)
