"""The drills where the world fails around the app while the sandbox creates leads and sends their
webhooks: CRM faults (429, 5xx, timeouts before and after the write), the web app down, webhooks
lost (only polling brings the leads in), access tokens expiring mid-batch, a revoked refresh token.
Each counts from the fault's end to the last owner written."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from crm_integrations.models import ConnectionStatus
from crm_integrations.services import upsert_organization_integration
from devtools.benchmarks.routing.latency_measure import owned_count

from .measure import DrillResult, lead_result, now_ms, settle, wait_for_owners
from .stack import PORTAL, DrillOptions, Stack, wait_until

OWNER_UPDATES = "/crm/v3/objects/leads/batch/update"
#: A held write outlasts the app's read timeout for batch writes by this much.
HOLD_MARGIN = 3.0
WAVES = 3


def _faults_seen(stack: Stack, since_seq: int) -> str:
    kinds = Counter(e["fault"] for e in stack.sandbox.state.requests.entries(since_seq) if e.get("fault"))
    return ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "none drawn"


def _in_waves(stack: Stack, leads: int, before: Callable[[int], None] = lambda wave: None) -> list[str]:
    """``leads`` new leads in ``WAVES`` waves a second apart (each its own intake and writes, so a
    fault has more calls to strike); ``before(wave)`` runs before each."""
    ids: list[str] = []
    for wave, size in enumerate(size for number in range(WAVES) if (size := (leads + number) // WAVES)):
        before(wave)
        ids += stack.create_leads(size)
        time.sleep(1.0)
    return ids


def _called(stack: Stack, since_seq: int, prefix: str) -> bool:
    return any(entry["path"].startswith(prefix) for entry in stack.sandbox.state.requests.entries(since_seq))


def _under_faults(
    stack: Stack, options: DrillOptions, name: str, faults: dict[str, Any], hold: float
) -> DrillResult:
    """New leads (webhooks on, in waves) while the sandbox injects ``faults``: for ``fault_seconds``
    after they were created, and at least until the app called a path the faults are for."""
    stack.webhooks(True)
    since_seq = stack.sandbox.state.requests.last_seq
    stack.sandbox.control.set_faults(seed=12, **faults)
    prefix = faults.get("pathPrefix") or "/"
    try:
        ids = _in_waves(stack, options.leads)
        time.sleep(options.fault_seconds)
        wait_until(lambda: _called(stack, since_seq, prefix), options.timeout)
    finally:
        stack.sandbox.control.clear_faults()
    fault_end = now_ms()
    wait_for_owners(stack, ids, options.timeout)
    settle(stack, hold=hold)
    seen = _faults_seen(stack, since_seq)
    notes = [f"faults on for {options.fault_seconds:g} s after creation or more: {seen}"]
    return lead_result(stack, name, ids, fault_end_ms=fault_end, notes=notes)


def crm_errors(stack: Stack, options: DrillOptions) -> DrillResult:
    """Three in ten HubSpot calls answered 429, three in ten 500/502/503/504."""
    faults = {"rateLimitShare": 0.3, "errorShare": 0.3, "errorStatuses": [500, 502, 503, 504]}
    return _under_faults(stack, options, "CRM 429/5xx", faults, hold=0)


def _hold() -> float:
    return float(settings.CRM_HTTP["WRITE_READ_TIMEOUT"]) + HOLD_MARGIN


def crm_timeouts(stack: Stack, options: DrillOptions) -> DrillResult:
    """Half the owner batch updates held past the app's write timeout before they are carried out
    (the write lands after the app gave up on it)."""
    faults = {"timeoutShare": 0.5, "timeoutSeconds": _hold(), "pathPrefix": OWNER_UPDATES}
    return _under_faults(stack, options, "CRM timeouts", faults, hold=_hold())


def timeout_applied(stack: Stack, options: DrillOptions) -> DrillResult:
    """Half the owner batch updates carried out, then their answer held past the app's write
    timeout: the app must find the owners already written and not write them again."""
    faults = {
        "timeoutShare": 0.5,
        "timeoutSeconds": _hold(),
        "timeoutAfterWork": True,
        "pathPrefix": OWNER_UPDATES,
    }
    return _under_faults(stack, options, "timeout but applied", faults, hold=_hold())


def web_down(stack: Stack, options: DrillOptions) -> DrillResult:
    """gunicorn stopped while the leads are created; HubSpot's webhook retries (their delays scaled
    by ``retry_time_scale``) bring the leads in once it is back."""
    stack.webhooks(True)
    refused_before = _unanswered_attempts(stack)
    stack.stop_web()
    try:
        ids = stack.create_leads(options.leads)
        time.sleep(options.outage_seconds)
    finally:
        stack.start_web()
    back = now_ms()
    wait_for_owners(stack, ids, options.timeout)
    settle(stack)
    failed = _unanswered_attempts(stack) - refused_before
    scale = stack.sandbox.state.config.retry_time_scale
    shortened = " (the issue's minute, shortened)" if options.outage_seconds < 60 else ""
    notes = [
        f"gunicorn down {options.outage_seconds:g} s{shortened}; HubSpot's webhook retry delays "
        f"x{scale:g}; {failed} delivery attempts found it down"
    ]
    return lead_result(stack, "web app down", ids, fault_end_ms=back, notes=notes)


def _unanswered_attempts(stack: Stack) -> int:
    """The sandbox's webhook attempts that got no HTTP answer (connection refused, timeout)."""
    deliveries = stack.sandbox.control.deliveries("app")
    return sum(1 for delivery in deliveries for attempt in delivery["attempts"] if attempt["status"] is None)


def poll_until_owned(stack: Stack, ids: list[str], options: DrillOptions) -> None:
    """Beat's poll on (every ``stack.beat.interval`` s) until every lead of ``ids`` is owned."""
    stack.beat.polling.set()
    try:
        wait_for_owners(stack, ids, options.timeout)
        settle(stack)
    finally:
        stack.beat.polling.clear()


def lost_webhooks(stack: Stack, options: DrillOptions) -> DrillResult:
    """No webhook reaches the app (the sandbox sends none): polling alone brings the leads in."""
    stack.webhooks(False)
    ids = stack.create_leads(options.leads)
    created = now_ms()
    poll_until_owned(stack, ids, options)
    notes = [
        f"no webhook sent; polled every {stack.beat.interval:g} s (beat: at each connection's interval); "
        "a poll takes records changed long enough ago for HubSpot's search index to have them "
        "(crm_integrations/hubspot/search.py)"
    ]
    return lead_result(stack, "webhooks lost", ids, fault_end_ms=created, notes=notes)


def token_expiry(stack: Stack, options: DrillOptions) -> DrillResult:
    """The leads arrive in three waves; before each of the last two, the sandbox expires every
    access token of the portal: calls answered 401 mid-batch, refreshed, carried on."""
    stack.webhooks(True)
    expired = 0

    def expire(wave: int) -> None:
        nonlocal expired
        if wave:
            expired += stack.sandbox.control.expire_tokens(portal_id=PORTAL)

    ids = _in_waves(stack, options.leads, expire)
    last_expiry = now_ms()
    wait_for_owners(stack, ids, options.timeout)
    settle(stack)
    notes = [f"{expired} access tokens expired between waves; refreshed by the app"]
    return lead_result(stack, "token expiry", ids, fault_end_ms=last_expiry, notes=notes)


def revoked_refresh(stack: Stack, options: DrillOptions) -> DrillResult:
    """The refresh token revoked and the access token expired, then leads arrive: the connection
    must go to "needs reconnection" (nothing can be written until a person reconnects), and once it
    is reconnected (new tokens from the sandbox's OAuth, as tests/conftest.py connects), polling
    brings in every lead, each written once."""
    stack.webhooks(True)
    connection = stack.refresh()
    stack.sandbox.control.revoke_refresh_token(connection.refresh_token)
    stack.sandbox.control.expire_tokens(portal_id=PORTAL)
    ids = stack.create_leads(options.leads)
    problems = []
    if not wait_until(lambda: stack.refresh().status == ConnectionStatus.NEEDS_REAUTH, 60):
        problems.append(f"the connection stayed {stack.connection.status}, not needs reconnection")
    stack.sandbox.control.wait_for_deliveries(timeout=30)
    reason = stack.connection.status_reason
    owned_before = owned_count(stack.sandbox, PORTAL, ids)
    granted = stack.sandbox.control.token(portal_id=PORTAL, expires_in=4 * 3600)
    upsert_organization_integration(
        stack.connection.organization,
        "hubspot",
        "sandbox",
        status=ConnectionStatus.CONNECTED,
        status_reason="",
        external_account_id=str(PORTAL),
        access_token=granted["access_token"],
        refresh_token=granted["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=int(granted["expires_in"])),
        scopes=list(granted.get("scopes") or []),
    )
    reconnected = now_ms()
    poll_until_owned(stack, ids, options)
    notes = [
        f"{owned_before} owned before reconnection; marked needs reconnection ({reason[:80]}); "
        "reconnected, then polling took the leads in"
    ]
    return lead_result(
        stack, "revoked refresh token", ids, fault_end_ms=reconnected, notes=notes, problems=problems
    )
