"""The conditions crm_integrations can see itself (registered at import, from ``apps.py``).

* A connection that needs reconnecting: its status (set by the token refresh when the CRM
  rejects the refresh token, crm_integrations/core/tokens.py, or by a client on a revoked token).
* A circuit breaker failing for too long: the account's breaker is not closed and no call has
  gone through since the first failure that followed the last success, longer ago than
  ``BREAKER_OPEN_MINUTES``. The breaker's own ``opened_at`` restarts at each failed half-open
  probe, so it alone would never grow old; the call records do.
* No lead taken in while the CRM has new ones: the CRM keeps telling us (webhook events of new or
  changed records, neither duplicates nor our own echoes) and nothing it told us is taken in.
  Precisely: the oldest event still waiting (pending, or failed at the intake) is older than
  ``INTAKE_STALL_MINUTES`` and no event received after it has been taken in. Polling settles the
  same events when it takes their records in (crm_integrations/intake/handover.py), so a connection
  kept alive by polling alone does not count as stalled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Min
from django.urls import reverse

from crm_integrations.models import (
    BreakerState,
    ConnectionStatus,
    EventOutcome,
    IncidentKind,
    OrganizationIntegration,
    ProviderApiCall,
    ProviderCircuitBreaker,
    WebhookEvent,
)

from . import conditions

WAITING = (EventOutcome.PENDING, EventOutcome.ERROR)


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(settings.ALERTS[name]))


def _ago(moment: datetime, now: datetime) -> str:
    minutes = max(1, int((now - moment).total_seconds() // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def needs_reconnection(connection: OrganizationIntegration, now: datetime) -> str | None:
    if connection.status != ConnectionStatus.NEEDS_REAUTH:
        return None
    reason = connection.status_reason or f"{connection.integration.name} no longer accepts our access."
    return f"{reason} Leads are neither taken in nor written back until it is reconnected."


def breaker_failing(connection: OrganizationIntegration, now: datetime) -> str | None:
    account = connection.external_account_id
    if not account:
        return None
    breaker = (
        ProviderCircuitBreaker.objects.filter(provider=connection.provider, account=account)
        .exclude(state=BreakerState.CLOSED)
        .first()
    )
    if breaker is None:
        return None
    calls = ProviderApiCall.objects.filter(provider=connection.provider, account=account)
    last_success = calls.filter(error_kind="", status_code__lt=400).aggregate(at=Max("created_at"))["at"]
    failures = calls.exclude(error_kind="", status_code__lt=400)
    if last_success is not None:
        failures = failures.filter(created_at__gt=last_success)
    failing_since = failures.aggregate(at=Min("created_at"))["at"] or breaker.opened_at
    if failing_since is None or failing_since > now - _minutes("BREAKER_OPEN_MINUTES"):
        return None
    return (
        f"Calls to {connection.integration.name} have failed for {_ago(failing_since, now)}: the circuit "
        f"breaker is {breaker.get_state_display().lower()} after {breaker.fail_counter} failures in a row, "
        "so calls are held back. Leads wait and are taken in once it answers again."
    )


def intake_stalled(connection: OrganizationIntegration, now: datetime) -> str | None:
    events = WebhookEvent.objects.filter(connection=connection, duplicate_of__isnull=True)
    oldest = events.filter(outcome__in=WAITING).aggregate(at=Min("created_at"))["at"]
    if oldest is None or oldest > now - _minutes("INTAKE_STALL_MINUTES"):
        return None
    if events.filter(outcome=EventOutcome.INGESTED, created_at__gt=oldest).exists():
        return None
    waiting = events.filter(outcome__in=WAITING).count()
    return (
        f"{connection.integration.name} sent {waiting} change{'s' if waiting != 1 else ''} by webhook "
        f"over the last {_ago(oldest, now)} and none has been taken in as a lead."
    )


def _reconnect(connection: OrganizationIntegration) -> tuple[str, str]:
    path = reverse("crm_integrations:oauth_authorize", args=[connection.provider])
    return (
        "Reconnect",
        f"{path}?organization={connection.organization_id}&environment={connection.environment}",
    )


def _health_page(connection: OrganizationIntegration) -> tuple[str, str]:
    """The provider health page when it is installed (crm_integrations/views/), else the
    integrations page, which shows each connection's state."""
    from django.urls import NoReverseMatch

    for name in ("crm_integrations:provider_health", "crm_integrations:health"):
        try:
            return "Open the health page", f"{reverse(name)}?organization={connection.organization_id}"
        except NoReverseMatch:
            continue
    return "Open the integrations page", (
        f"{reverse('crm_integrations:integrations')}?organization={connection.organization_id}"
    )


def _webhook_debugger(connection: OrganizationIntegration) -> tuple[str, str]:
    return "Open the webhook debugger", reverse("admin:crm_integrations_webhookdelivery_changelist")


conditions.register(
    conditions.Condition(
        kind=IncidentKind.NEEDS_RECONNECTION,
        check=needs_reconnection,
        fix=_reconnect,
        what_to_do="An administrator of the organization reconnects the CRM (sign in and approve again).",
        resolved="The connection was reconnected.",
    )
)
conditions.register(
    conditions.Condition(
        kind=IncidentKind.BREAKER_OPEN,
        check=breaker_failing,
        fix=_health_page,
        what_to_do="Check the CRM's status page and the connection's recent errors; nothing is lost.",
        resolved="Calls to the CRM go through again.",
    )
)
conditions.register(
    conditions.Condition(
        kind=IncidentKind.INTAKE_STALLED,
        check=intake_stalled,
        fix=_webhook_debugger,
        what_to_do="Open the waiting webhook events to see why they were not taken in (mapping, CRM errors).",
        resolved="Leads are taken in again.",
    )
)
