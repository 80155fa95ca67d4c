"""A CRM's daily API allocation as it last reported it, and what it means for work that can wait.

Some CRMs meter API calls per account over a day and say how much is used on their answers
(Salesforce's ``Sforce-Limit-Info``, read in crm_integrations/salesforce/limits.py). A provider hands
its last reading out through ``CrmProvider.daily_allocation`` (crm_integrations/core/provider.py): the
provider health page shows it (crm_integrations/health_data.py), the verdict warns when it is nearly
spent (crm_integrations/health.py), and backfills ask ``CrmProvider.non_urgent_paused`` before each
batch (crm_integrations/intake/polling.py, routing/existing_leads.py), so that new leads keep the calls
that are left. The words staff read are built here, once, for every provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

#: A reading older than this no longer holds backfills back: the CRM's rolling day has moved on since,
#: and the next backfill call brings a fresh reading (so a paused run costs at most a call an hour
#: even when nothing else calls the CRM, and never waits a whole day on an old figure).
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class AllocationReading:
    """``used`` calls of the account's daily ``allocation``, as the CRM said at ``seen_at``.

    ``pause_share``: the share of the allocation at which work that can wait (backfills) stops;
    None when the provider never pauses it.
    """

    used: int
    allocation: int
    seen_at: datetime
    pause_share: float | None = None

    @property
    def share(self) -> float:
        return self.used / self.allocation if self.allocation > 0 else 0.0

    @property
    def stale(self) -> bool:
        return timezone.now() - self.seen_at >= STALE_AFTER

    @property
    def pauses_non_urgent(self) -> bool:
        return self.pause_share is not None and self.share >= self.pause_share and not self.stale

    def summary(self) -> str:
        """In words, e.g. "1,234 of 15,000 used (8%)"."""
        return f"{self.used:,} of {self.allocation:,} used ({self.share:.0%})"

    def pause_note(self) -> str:
        """Once the pause share is reached, e.g. "Backfills paused at 80% of the allocation"; else empty."""
        return (
            f"Backfills paused at {self.pause_share:.0%} of the allocation" if self.pauses_non_urgent else ""
        )

    def pause_reason(self) -> str | None:
        """Why backfills wait, in words (the Existing leads page shows it after "Paused: "); None: go on."""
        if not self.pauses_non_urgent:
            return None
        return (
            f"the CRM's daily API allocation is {self.share:.0%} used; backfills stop at "
            f"{self.pause_share:.0%}."
        )

    def as_dict(self) -> dict[str, Any]:
        """The health JSON's ``allocation`` (crm_integrations/api/health.py documents it)."""
        return {
            "used": self.used,
            "allocation": self.allocation,
            "share": round(self.share, 4),
            "seen_at": self.seen_at.isoformat(),
            "pause_share": self.pause_share,
            "non_urgent_paused": self.pauses_non_urgent,
            "summary": self.summary(),
            "pause_note": self.pause_note(),
        }
