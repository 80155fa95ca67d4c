"""Everything tunable about the Salesforce sandbox, with Salesforce's own numbers as defaults
(/work/shared/reference/salesforce-api.md is where they come from; README.md lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..settings import RuntimeSettings
from .ids import object_id

# Public, sandbox-only defaults (like the HubSpot and monday sandboxes' client ids and secrets).
DEFAULT_CLIENT_ID = "sandbox-salesforce-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-salesforce-client-secret"  # noqa: S105
ORG_ID = object_id("Organization", 1)
INBOUND_QUEUE_ID = object_id("Group", 1)
#: The versions ``GET /services/data/`` lists (Winter '21 .. Winter '27); any of them is accepted.
API_VERSIONS = tuple(f"{number}.0" for number in range(50, 69))
LEAD_EVENTS = ("off", "create", "create_and_edit")
#: What ``POST /services/oauth2/introspect`` does: answer (RFC 7662, with ``exp``), or refuse as an app
#: not allowed to introspect might ("not re-verified" in the reference notes, so both ways): every
#: token ``{"active": false}``, or ``403`` with an OAuth error body.
INTROSPECTION_MODES = ("allowed", "inactive", "forbidden")


@dataclass
class SandboxConfig(RuntimeSettings):
    """Fields marked "runtime" can also be changed through ``PATCH /_sandbox/config``."""

    seed: int = 1
    seed_leads: int = 20
    org_id: str = ORG_ID
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    #: Exact callback URLs of the app; empty = any http://127.0.0.1:* or http://localhost:* URL.
    redirect_uris: tuple[str, ...] = ()
    #: The session timeout (Salesforce's default: 2 hours); after it ``401 INVALID_SESSION_ID``.
    access_token_ttl: int = 7200  # runtime
    auth_code_ttl: int = 900  # runtime; authorization codes are single-use and short-lived
    #: The app's refresh token rotation: each refresh returns a new refresh token, the old one dies.
    refresh_token_rotation: bool = False  # runtime
    #: Whether the app may introspect tokens (one of INTROSPECTION_MODES).
    introspection: str = "allowed"  # runtime
    #: Behaviours the reference notes mark "not re-verified", each switchable:
    #: ``issued_at`` in milliseconds ("ms", what real answers show) or seconds ("s", what some docs say);
    issued_at_unit: str = "ms"  # runtime
    #: refresh tokens valid until revoked (None, the default policy) or for this many seconds;
    refresh_token_ttl: int | None = None  # runtime
    #: converted leads refuse updates (``CANNOT_UPDATE_CONVERTED_LEAD``) or take them;
    converted_leads_read_only: bool = True  # runtime
    #: a quoted datetime in a SOQL filter is refused (``INVALID_FIELD``) or read as the datetime.
    quoted_datetime_literals: bool = False  # runtime
    #: The org's rolling 24-hour API allocation (100,000 + per-licence calls on real orgs).
    daily_api_limit: int = 100_000  # runtime
    query_batch_size: int = 2000  # runtime; Salesforce's maximum batch
    cursor_ttl: int = 2 * 24 * 3600  # runtime; query locators live 2 days
    #: An active lead assignment rule: every lead created or updated through the API without
    #: ``Sforce-Auto-Assign: FALSE`` gets ``assignment_rule_owner_id`` as its owner.
    assignment_rule: bool = True  # runtime
    assignment_rule_owner_id: str = INBOUND_QUEUE_ID  # runtime
    #: Where Outbound Messages go (the product's endpoint); None = none are sent.
    outbound_url: str | None = None  # runtime
    outbound_lead_events: str = "create_and_edit"  # runtime; one of LEAD_EVENTS
    outbound_opportunity_stage: str = "Closed Won"  # runtime; "" = no opportunity messages
    outbound_timeout: float = 60.0  # runtime; Salesforce waits 60 s for the Ack
    #: Retries: after ``base`` s, doubling, at most ``max`` apart, given up ``window`` s after the first try.
    outbound_retry_base: float = 15.0  # runtime
    outbound_retry_max: float = 7200.0  # runtime
    outbound_retry_window: float = 86400.0  # runtime
    #: ``--state-file``: restored at start when it exists, saved after changes and on a clean stop.
    state_file: str | None = None
    state_save_interval: float = 1.0

    RUNTIME_FIELDS: ClassVar[tuple[str, ...]] = (
        "access_token_ttl",
        "auth_code_ttl",
        "refresh_token_rotation",
        "introspection",
        "issued_at_unit",
        "refresh_token_ttl",
        "converted_leads_read_only",
        "quoted_datetime_literals",
        "daily_api_limit",
        "query_batch_size",
        "cursor_ttl",
        "assignment_rule",
        "assignment_rule_owner_id",
        "outbound_url",
        "outbound_lead_events",
        "outbound_opportunity_stage",
        "outbound_timeout",
        "outbound_retry_base",
        "outbound_retry_max",
        "outbound_retry_window",
    )
    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = ("redirect_uris",)
