"""The Django side of the webhook intake benchmark: a dedicated organization connected to a sandbox
portal, processing the stored deliveries, counting what became of every event, and cleaning up.

Everything the benchmark writes belongs to the organization ``BENCHMARK_SLUG`` or to the portal
``BENCHMARK_PORTAL`` (a portal no real connection uses), so ``harness.portal.remove_benchmark_data``
can delete exactly that, before a run (a leftover of ``--keep`` or a crash) and after it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.management.base import CommandError

from crm_integrations.core.errors import RetryLater
from crm_integrations.intake import processing
from crm_integrations.models import (
    EventOutcome,
    OrganizationIntegration,
    ProviderApiCall,
    WebhookEvent,
)
from devtools.benchmarks.harness.load import Answer
from devtools.sandboxes.hubspot import RunningSandbox

BENCHMARK_SLUG = "webhook-intake-benchmark"
BENCHMARK_PORTAL = 24_900_001
ENVIRONMENT = "sandbox"


def seed_lead_ids(sandbox: RunningSandbox, count: int) -> list[str]:
    """Seed ``count`` leads (each with a contact and company) in the benchmark portal; their ids."""
    seeded = sandbox.control.seed_leads(count, portal_id=BENCHMARK_PORTAL)
    ids = [str(number) for number in range(int(seeded["firstId"]), int(seeded["lastId"]) + 1)]
    if len(ids) != seeded["created"]:
        raise CommandError("The sandbox did not hand out consecutive lead ids.")
    return ids


def process_deliveries(delivery_ids: Sequence[int]) -> None:
    """What the ``process_webhook_delivery`` task does, in this process, in the order received:
    ``processing.process``, and on ``RetryLater`` the same again after the wait the task would take."""
    for delivery_id in sorted(delivery_ids):
        while True:
            try:
                processing.process(delivery_id)
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
