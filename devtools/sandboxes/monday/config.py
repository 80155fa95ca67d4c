"""Everything tunable about the monday sandbox, with monday's own numbers as defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..settings import RuntimeSettings

DEFAULT_ACCOUNT_ID = 31000001
DEFAULT_BOARD_ID = 5000000001
# Public, sandbox-only defaults (like the HubSpot sandbox's client id/secret).
DEFAULT_API_TOKEN = "sandbox-monday-personal-token"  # noqa: S105
DEFAULT_CLIENT_ID = "sandbox-monday-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-monday-client-secret"  # noqa: S105
DEFAULT_SIGNING_SECRET = "sandbox-monday-signing-secret-public-default"  # noqa: S105
# monday's versioning: maintenance, current, release candidate.
API_VERSIONS = ("2026-07", "2026-10", "2027-01")
CURRENT_API_VERSION = "2026-10"


@dataclass
class SandboxConfig(RuntimeSettings):
    """Fields marked "runtime" can also be changed through ``PATCH /_sandbox/config``."""

    account_id: int = DEFAULT_ACCOUNT_ID
    board_id: int = DEFAULT_BOARD_ID
    seed: int = 1
    seed_items: int = 20
    #: A personal API token (v2) of the first admin user, always valid.
    api_token: str = DEFAULT_API_TOKEN
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    signing_secret: str = DEFAULT_SIGNING_SECRET
    #: Exact redirect URIs of the OAuth app; empty = any http://127.0.0.1:* or http://localhost:* URL.
    redirect_uris: tuple[str, ...] = ()
    #: Lifetime of access tokens issued by the OAuth 2.1 flow (the legacy flow's never expire).
    access_token_ttl: int = 3600  # runtime
    #: Complexity points per account per window (monday: 5M/min for app tokens; 10M for personal).
    complexity_budget: int = 5_000_000  # runtime
    complexity_window: int = 60  # runtime, seconds
    max_query_complexity: int = 5_000_000  # runtime; a single query above this is refused
    cursor_ttl: int = 3600  # runtime; items_page cursors live 60 minutes from the initial request
    webhook_target_url: str | None = None  # runtime (set through PUT /_sandbox/webhooks: challenge first)
    webhook_timeout: float = 5.0  # runtime
    #: monday retries a failed delivery once a minute for 30 minutes (its webhook docs).
    webhook_retry_delay: float = 60.0  # runtime
    webhook_max_retries: int = 30  # runtime
    retry_time_scale: float = 1.0  # runtime; multiplies the retry delay (e.g. 0.001 in tests)
    webhook_jwt_ttl: int = 300  # runtime; exp of the JWT in the Authorization header
    #: ``--state-file``: the JSON file the state is restored from at start (when it exists) and saved to
    #: after changes (at most once per ``state_save_interval`` s) and on a clean stop. None = memory only.
    state_file: str | None = None
    state_save_interval: float = 1.0

    RUNTIME_FIELDS: ClassVar[tuple[str, ...]] = (
        "access_token_ttl",
        "complexity_budget",
        "complexity_window",
        "max_query_complexity",
        "cursor_ttl",
        "webhook_timeout",
        "webhook_retry_delay",
        "webhook_max_retries",
        "retry_time_scale",
        "webhook_jwt_ttl",
    )

    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = ("redirect_uris",)
