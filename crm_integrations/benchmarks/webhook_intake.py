"""The Django side of the webhook intake benchmark: a dedicated organization connected to a sandbox
portal, processing the stored deliveries, counting what became of every event, and cleaning up.

Everything the benchmark writes belongs to the organization ``BENCHMARK_SLUG`` or to the portal
``BENCHMARK_PORTAL`` (a portal no real connection uses), so :func:`remove_benchmark_data` can
delete exactly that, before a run (a leftover of ``--keep`` or a crash) and after it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from crm_integrations import webhooks
from crm_integrations.core.errors import RetryLater
from crm_integrations.models import (
    EventOutcome,
    Integration,
    Organization,
    OrganizationIntegration,
    ProviderApiCall,
    ProviderCircuitBreaker,
    WebhookDelivery,
    WebhookEvent,
)
from crm_integrations.sandboxes.hubspot import RunningSandbox
from crm_integrations.services import upsert_organization_integration

from .webhook_load import USER_AGENT, Answer

BENCHMARK_SLUG = "webhook-intake-benchmark"
BENCHMARK_PORTAL = 24_900_001
ENVIRONMENT = "sandbox"


def sandbox_app() -> dict[str, str]:
    """The app's "sandbox" HubSpot app settings: the sandbox must sign and issue tokens with them."""
    conf = settings.HUBSPOT.get(ENVIRONMENT) or {}
    if not conf.get("CLIENT_SECRET") or not conf.get("CLIENT_ID"):
        raise CommandError("HUBSPOT_SANDBOX_CLIENT_ID and HUBSPOT_SANDBOX_CLIENT_SECRET must be set.")
    return conf


@contextmanager
def pointed_at(sandbox: RunningSandbox) -> Iterator[None]:
    """This process's "sandbox" HubSpot environment talks to ``sandbox`` (for the processing part)."""
    conf = {**sandbox_app(), "AUTH_BASE_URL": sandbox.base_url, "API_BASE_URL": sandbox.base_url}
    with override_settings(HUBSPOT={**settings.HUBSPOT, ENVIRONMENT: conf}):
        yield


def remove_benchmark_data(
    delivery_ids: Sequence[int] = (), *, slug: str = BENCHMARK_SLUG, portal_id: int = BENCHMARK_PORTAL
) -> None:
    """Delete the benchmark organization (its connection, mapping, leads) and the portal's records."""
    portal = str(portal_id)
    deliveries = WebhookDelivery.objects.filter(
        Q(pk__in=list(delivery_ids)) | Q(organization__slug=slug) | Q(**{"headers__User-Agent": USER_AGENT})
    )
    # Duplicates first: deleting an original would set their duplicate_of to NULL, making them
    # originals with the same dedupe key (the unique constraint refuses that).
    WebhookEvent.objects.filter(delivery__in=deliveries).exclude(duplicate_of=None).delete()
    deliveries.delete()
    Organization.objects.filter(slug=slug).delete()
    ProviderApiCall.objects.filter(provider="hubspot", account=portal).delete()
    ProviderCircuitBreaker.objects.filter(provider="hubspot", account=portal).delete()


def benchmark_connection(
    sandbox: RunningSandbox,
    *,
    slug: str = BENCHMARK_SLUG,
    portal_id: int = BENCHMARK_PORTAL,
    name: str = "Webhook intake benchmark",
) -> OrganizationIntegration:
    """A fresh organization ``slug`` with a connected sandbox HubSpot connection to ``portal_id``."""
    if not Integration.objects.filter(provider="hubspot", enabled=True).exists():
        raise CommandError("The HubSpot integration is not in the catalogue: run `manage.py migrate`.")
    remove_benchmark_data(slug=slug, portal_id=portal_id)
    organization = Organization.objects.create(name=name, slug=slug)
    tokens = sandbox.control.token(portal_id=portal_id, expires_in=4 * 3600)
    return upsert_organization_integration(
        organization,
        "hubspot",
        ENVIRONMENT,
        status="connected",
        external_account_id=str(portal_id),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=int(tokens["expires_in"])),
        scopes=list(tokens.get("scopes") or []),
    )


def seed_lead_ids(sandbox: RunningSandbox, count: int) -> list[str]:
    """Seed ``count`` leads (each with a contact and company) in the benchmark portal; their ids."""
    seeded = sandbox.control.seed_leads(count, portal_id=BENCHMARK_PORTAL)
    ids = [str(number) for number in range(int(seeded["firstId"]), int(seeded["lastId"]) + 1)]
    if len(ids) != seeded["created"]:
        raise CommandError("The sandbox did not hand out consecutive lead ids.")
    return ids


def process_deliveries(delivery_ids: Sequence[int]) -> None:
    """What the ``process_webhook_delivery`` task does, in this process, in the order received:
    ``webhooks.process``, and on ``RetryLater`` the same again after the wait the task would take."""
    for delivery_id in sorted(delivery_ids):
        while True:
            try:
                webhooks.process(delivery_id)
                break
            except RetryLater as error:
                time.sleep(error.retry_after)


@dataclass(frozen=True)
class Tally:
    """What became of the events sent, read back from the database."""

    events_stored: int  # WebhookEvent rows of the deliveries answered
    outcomes: dict[str, int]
    events_accounted: int  # stored as taken in or as a duplicate
    leads_stored: int  # distinct lead ids sent that have a Lead row
    api_calls: int  # ProviderApiCall rows for the portal since ``since``


def tally(connection: OrganizationIntegration, answers: Sequence[Answer], since: datetime) -> Tally:
    """Count per delivery, so an event is accounted only in the delivery it was sent in."""
    delivered = {answer.delivery_id: answer.batch for answer in answers if answer.delivery_id}
    rows = WebhookEvent.objects.filter(delivery_id__in=list(delivered)).values_list("delivery_id", "outcome")
    outcomes: Counter[str] = Counter()
    accounted: Counter[int] = Counter()
    for delivery_id, outcome in rows:
        outcomes[outcome] += 1
        if outcome in (EventOutcome.INGESTED, EventOutcome.DUPLICATE):
            accounted[delivery_id] += 1
    sent_ids = {str(event["objectId"]) for batch in delivered.values() for event in batch.events}
    # ``leads`` is the reverse accessor of field_mapping's Lead: read, not imported (layer rules).
    stored_ids = set(connection.leads.values_list("external_id", flat=True))
    return Tally(
        events_stored=sum(outcomes.values()),
        outcomes=dict(outcomes),
        events_accounted=sum(min(accounted[d], len(batch.events)) for d, batch in delivered.items()),
        leads_stored=len(sent_ids & stored_ids),
        api_calls=ProviderApiCall.objects.filter(
            provider="hubspot", account=str(BENCHMARK_PORTAL), created_at__gte=since
        ).count(),
    )
