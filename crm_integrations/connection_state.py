"""Selector: each connection's state for the integrations page and the admin home.

What staff need to trust a connection at a glance: when the CRM last called (webhook), when we
last asked it (poll), what went wrong today, how many leads came in (a figure of the apps above,
through ``crm_integrations/home.py``) and what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Max
from django.utils import timezone

from crm_integrations import home
from crm_integrations.core.provider import ProviderAction
from crm_integrations.models import (
    EventOutcome,
    Organization,
    OrganizationIntegration,
    SyncCursor,
    WebhookDelivery,
    WebhookEvent,
)
from crm_integrations.selectors import connection_rows


@dataclass(frozen=True)
class ConnectionState:
    connection: OrganizationIntegration
    setup_actions: list[ProviderAction]
    last_webhook_at: datetime | None
    last_poll_at: datetime | None
    last_poll_result: str
    errors_today: int
    last_error: str
    figures: dict[str, Any] = field(default_factory=dict)  # leads_today, next_step (apps above)

    @property
    def leads_today(self) -> int | None:
        return self.figures.get("leads_today")

    @property
    def next_step(self) -> Any:
        return self.figures.get("next_step")


def connection_states(organization: Organization, *, now: datetime | None = None) -> list[ConnectionState]:
    since = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    figures = home.connection_figures(organization)
    states = []
    for connection, actions in connection_rows(organization):
        last_webhook = WebhookDelivery.objects.filter(
            organization=organization, provider=connection.provider, environment=connection.environment
        ).aggregate(at=Max("received_at"))["at"]
        cursor = SyncCursor.objects.filter(connection=connection).order_by("-last_polled_at").first()
        errors = WebhookEvent.objects.filter(
            connection=connection, outcome=EventOutcome.ERROR, created_at__gte=since
        ).order_by("-created_at")
        latest = errors.first()
        states.append(
            ConnectionState(
                connection=connection,
                setup_actions=actions,
                last_webhook_at=last_webhook,
                last_poll_at=cursor.last_polled_at if cursor else None,
                last_poll_result=cursor.last_result if cursor else "",
                errors_today=errors.count(),
                last_error=latest.outcome_detail if latest else "",
                figures=figures.get(connection.pk, {}),
            )
        )
    return states
