"""What routing keeps, and for how long (run by crm_integrations/pruning.py, which finds this module).

Live routing reads only current decisions (capacity in routing/roster.py, the sweeps in
routing/sweeps.py, outcomes in routing/outcomes.py) and the rotation state, plus, for an open
lead, how many SLA re-routes it already had (all its decisions). So:

* Journey events (``JOURNEY_DAYS``): deleted; a lead's timeline then starts later.
* Lead timing rollups (``HEALTH_ROLLUP_MINUTE_DAYS`` / ``HEALTH_ROLLUP_HOUR_DAYS``,
  routing/timing_rollups.py): the provider health page's history of owners written.
* Decisions (``DECISION_DAYS``): only superseded ones (``is_current=False``) of leads that are
  closed (won, lost, excluded), and never one whose owner write is still under way. Their owner
  write and journey events go with them. Current decisions stay as long as their lead.

Both walk the ids upward; neither ``JourneyEvent.at`` nor ``Decision.decided_at`` has an index
of its own, and old rows have the lowest ids, so each batch finds its rows near the start.
"""

from __future__ import annotations

from datetime import datetime

from crm_integrations import pruning
from crm_integrations.models import BucketSize
from field_mapping.models import Outcome as LeadOutcome

from .models import Decision, JourneyEvent, LeadTimingRollup, WriteStatus

CLOSED = (LeadOutcome.WON, LeadOutcome.LOST, LeadOutcome.EXCLUDED)
UNFINISHED_WRITES = (WriteStatus.PENDING, WriteStatus.SENDING, WriteStatus.RETRYING)


def journey_events_due(cutoff: datetime) -> pruning.Rows:
    return JourneyEvent.objects.filter(at__lt=cutoff)


def decisions_due(cutoff: datetime) -> pruning.Rows:
    return Decision.objects.filter(is_current=False, decided_at__lt=cutoff, lead__status__in=CLOSED).exclude(
        owner_write__status__in=UNFINISHED_WRITES
    )


def timing_rollups_due(size: str, cutoff: datetime) -> pruning.Rows:
    return LeadTimingRollup.objects.filter(bucket_size=size, bucket_start__lt=cutoff)


pruning.register(
    pruning.RetentionPolicy(
        name="journey_events",
        label="Lead journey events",
        setting="JOURNEY_DAYS",
        due=journey_events_due,
    ),
    pruning.RetentionPolicy(
        name="decisions",
        label="Superseded routing decisions of closed leads",
        setting="DECISION_DAYS",
        due=decisions_due,
    ),
    pruning.RetentionPolicy(
        name="lead_timing_rollups_minute",
        label="Lead timing rollups per minute",
        setting="HEALTH_ROLLUP_MINUTE_DAYS",
        due=lambda cutoff: timing_rollups_due(BucketSize.MINUTE, cutoff),
    ),
    pruning.RetentionPolicy(
        name="lead_timing_rollups_hour",
        label="Lead timing rollups per hour",
        setting="HEALTH_ROLLUP_HOUR_DAYS",
        due=lambda cutoff: timing_rollups_due(BucketSize.HOUR, cutoff),
    ),
)
