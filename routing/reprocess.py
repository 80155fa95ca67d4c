"""Services: staff route leads again ("Reprocess"), with the published rules as they are now.

Each lead gets a new current decision (the old ones stay, so the journey shows the new decision
beside the old); leads whose mapping failed are skipped. ``route_leads`` does the work, one call
per connection.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crm_integrations.core.errors import CrmError
from crm_integrations.models import OrganizationIntegration
from field_mapping.models import Lead

from .assign import route_leads
from .models import DecisionOutcome, DecisionTrigger
from .routable import is_routable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReprocessResult:
    """``outcomes``: decisions made, by outcome; ``not_routed``: leads routing left alone (routing
    off, nothing published, the CRM failed); ``skipped``: leads with mapping errors."""

    outcomes: Counter[str] = field(default_factory=Counter)
    not_routed: int = 0
    skipped: int = 0
    errors: tuple[str, ...] = ()

    @property
    def decided(self) -> int:
        return sum(self.outcomes.values())

    def __str__(self) -> str:
        parts = [
            f"{count} {DecisionOutcome(outcome).label.lower()}"
            for outcome, count in sorted(self.outcomes.items())
            if count
        ]
        text = f"{self.decided} lead(s) reprocessed" + (f": {', '.join(parts)}" if parts else "")
        if self.not_routed:
            text += f"; {self.not_routed} not routed (see the journey)"
        if self.skipped:
            text += f"; {self.skipped} skipped (mapping errors)"
        return text


def reprocess(leads: Iterable[Lead], user: Any) -> ReprocessResult:
    """Route these leads again, whatever their current decision, noting who asked."""
    by_connection: dict[Any, list[Lead]] = defaultdict(list)
    skipped = 0
    for lead in leads:
        if is_routable(lead):
            by_connection[lead.connection_id].append(lead)
        else:
            skipped += 1
    outcomes: Counter[str] = Counter()
    not_routed = 0
    errors: list[str] = []
    for connection_id, group in by_connection.items():
        connection = OrganizationIntegration.objects.select_related("integration", "organization").get(
            pk=connection_id
        )
        try:
            made = route_leads(
                connection,
                group,
                trigger=DecisionTrigger.REPROCESS,
                reason=f"reprocessed by {user}",
                only_undecided=False,
            )
        except CrmError as error:
            logger.warning("Reprocessing leads of connection %s failed: %s", connection_id, error)
            errors.append(f"{connection}: {error}")
            made = []
        outcomes.update(decision.outcome for decision in made)
        not_routed += len(group) - len(made)
    return ReprocessResult(outcomes, not_routed, skipped, tuple(errors))
