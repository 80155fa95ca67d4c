"""How the intake's rounds keep within a CRM account's rate budget (crm_integrations/intake/batches.py).

Each reads the account's call records (``ProviderApiCall``, one per attempt):

* **Spacing** (``budget_spacing``), asked when a round ends: a token bucket that refills at
  ``WEBHOOK_INTAKE_BUDGET_SHARE`` of the budget's pace and holds ``WEBHOOK_INTAKE_BUDGET_BURST`` of
  it. A steady trickle is taken in by rounds spaced at that pace instead of one-lead rounds that
  spend the budget and then wait for it.
* **A second round** (``budget_not_binding``), asked when a round would start beside another of the
  same connection: only when the whole backlog fits the budget's window now. When the budget is the
  bound, a second round takes no lead in sooner; it only holds a second worker process, and another
  organization's lead waits for one.
* **Room for the round** (``room_wait``), asked before a round claims its events: the bucket charges
  a round after it has run, so a window could hold one round more than the intake's room, and a
  round whose reads then met our limiter mid-way was refused and queued again with the calls it had
  made spent for nothing (17 calls and 2.1 s in a traced fairness run: docs/benchmarks.md). The
  round waits instead until the window has room for what the connection's last round's own calls
  took (``keep_round_units``, counted by ``call_meter``, not from the account's call records, which
  also hold the write-backs running beside it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min, Q, QuerySet, Sum

from crm_integrations.core.http.budgets import rate_budgets
from crm_integrations.models import OrganizationIntegration, ProviderApiCall

#: How long a connection's calls per record are kept (they change with its mapping, not by the hour).
COST_KEPT = 24 * 3600


@dataclass(frozen=True)
class Pace:
    """The intake's share of a CRM account's tightest rate budget."""

    provider: str
    account: str
    limit: float  # units per window
    window: float  # seconds
    per_second: float  # the bucket's refill: WEBHOOK_INTAKE_BUDGET_SHARE of the budget's pace
    allowance: float  # the bucket's size: WEBHOOK_INTAKE_BUDGET_BURST of the budget

    @property
    def room(self) -> float:
        """Units of a window the intake fills at most (share and burst together, 0.95 of it)."""
        return (self.per_second * self.window) + self.allowance

    def calls(self) -> QuerySet[ProviderApiCall]:
        return ProviderApiCall.objects.filter(provider=self.provider, account=self.account)


def budget_pace(connection_id: object) -> Pace | None:
    """The connection's pace, from its account's tightest rate budget; None when pacing is off or the
    provider has no budget."""
    provider, account = provider_and_account(connection_id)
    share = float(settings.WEBHOOK_INTAKE_BUDGET_SHARE)
    if not provider or not account or share <= 0:
        return None
    binding = min(rate_budgets().get(provider) or [], key=lambda b: b[0] / b[1], default=None)
    if binding is None:
        return None
    limit, window = float(binding[0]), float(binding[1])
    burst = max(0.0, min(float(settings.WEBHOOK_INTAKE_BUDGET_BURST), 1.0 - share))
    return Pace(provider, account, limit, window, share * limit / window, burst * limit)


def provider_and_account(connection_id: object) -> tuple[str, str]:
    """The connection's provider key and CRM account id ("" for a connection that is gone)."""
    row = (
        OrganizationIntegration.objects.filter(pk=connection_id)
        .values_list("integration__provider", "external_account_id")
        .first()
    )
    return (row[0], row[1] or "") if row else ("", "")


def budget_spacing(connection_id: object, started: float, records: int = 0) -> float:
    """Seconds from a round's start before the next round may start, by a token bucket over the CRM
    account's rate budget: it refills at ``WEBHOOK_INTAKE_BUDGET_SHARE`` of the budget's pace and holds
    at most ``WEBHOOK_INTAKE_BUDGET_BURST`` of the budget; a round's end takes out of it the account's
    calls not yet taken out (``_PacingBucket``), and while it is in debt the next round waits for the
    refill. It also keeps what the round's ``records`` cost each (its calls since it started), for
    ``budget_not_binding``: a burst's rounds differ in size (the first delivery's 100, then 1,000s),
    not much in calls per record.

    A lone lead after a quiet spell, and the round after it, go at once (the bucket is full): a burst
    of 300 is read in two rounds back to back. A steady trickle spends the bucket in its first rounds,
    then runs at the refill's pace: 20 leads a second at six HubSpot calls a round and 100 calls per
    10 s make rounds 0.75 s apart, 15 leads each, where one-lead rounds spent the budget in seconds
    and then waited on our limiter (p95 8 s). A burst allowance as large as the whole budget was
    tried and met the limiter (p95 2.9 s for the trickle)."""
    pace = budget_pace(connection_id)
    if pace is None:
        return 0.0
    bucket = _PacingBucket.load(connection_id, pace, started)
    now = time.time()
    since = min(bucket.counted_until, _moment(started))
    new = Q(created_at__gte=bucket.counted_until)
    taken = (
        pace.calls()
        .filter(created_at__gte=since, created_at__lt=_moment(now))
        .aggregate(
            new_units=Sum("units", filter=new),
            first_new=Min("created_at", filter=new),
            this_round=Sum("units", filter=Q(created_at__gte=_moment(started))),
        )
    )
    first = taken["first_new"].timestamp() if taken["first_new"] else now
    bucket = bucket.take(taken["new_units"] or 0, first, now)
    bucket.save(connection_id)
    if records > 0 and taken["this_round"]:
        cache.set(_cost_key(connection_id), taken["this_round"] / records, timeout=COST_KEPT)
    refilled = bucket.refilled_at()
    return 0.0 if refilled is None else max(0.0, refilled - started)


def keep_round_units(connection_id: object, units: int) -> None:
    """The units the round's own calls took (``crm_integrations.core.http.recording.call_meter``),
    for ``room_wait``."""
    if units > 0:
        cache.set(_own_units_key(connection_id), units, timeout=COST_KEPT)


def room_wait(connection_id: object) -> float:
    """Seconds a round should wait before it starts so that its calls, costing what the connection's
    last round's own calls took, fit the budget's window within the intake's room, waiting for our
    limiter no longer than it lets a call wait inline (``INLINE_SHARE``); 0: start now (also with no
    pacing, or no round yet to go by).

    The last round's units, not its units per record scaled to the records waiting: most of a
    round's calls are per level of the read, not per record (a lone lead's round takes six calls, a
    1,000-lead round about 30), and scaled per record a trickle's next round was priced at the whole
    room and waited out a window (p95 9.6 s at 20 leads a second)."""
    pace = budget_pace(connection_id)
    if pace is None:
        return 0.0
    units = cache.get(_own_units_key(connection_id))
    if not units:
        return 0.0
    inline = float(settings.CRM_HTTP["MAX_INLINE_WAIT"]) * INLINE_SHARE
    return max(0.0, _until_room(pace, min(units, pace.room)) - inline)


#: The share of ``CRM_HTTP_MAX_INLINE_WAIT`` a round's calls are left to wait for our limiter: a round
#: whose room comes that soon starts now and its last calls wait inline (checking for room a whole
#: round ahead instead made the 20-a-second trickle's p95 1.28 s against 0.80 s, and the
#: budget-bound 5,000-lead burst's 23 to 25 s against 18 to 22 s).
INLINE_SHARE = 0.8


def _until_room(pace: Pace, units: float) -> float:
    """Seconds until the window holds at most ``pace.room - units`` (the account's calls leaving it)."""
    now = time.time()
    excess = _units_in_window(pace, now) + units - pace.room
    if excess <= 0:
        return 0.0
    freed = 0
    in_window = pace.calls().filter(created_at__gte=_moment(now - pace.window), units__gt=0)
    for at, taken in in_window.order_by("created_at").values_list("created_at", "units").iterator():
        freed += taken
        if freed >= excess:
            return max(0.0, at.timestamp() + pace.window - now)
    return pace.window


def budget_not_binding(connection_id: object, backlog: int) -> bool:
    """The budget's window has room for the whole ``backlog`` now (or there is no pacing): only then
    does a second round beside the one under way take it in sooner. When the budget is the bound (a
    3,000-lead HubSpot burst needs 135 calls, more than a window's 95), a second round only spends
    the window sooner and holds a second worker process, which another organization's lead then
    waited for (B p95 1.55 s in a fairness run). With no round yet to go by, no second round."""
    pace = budget_pace(connection_id)
    if pace is None:
        return True
    per_record = cache.get(_cost_key(connection_id))
    if not per_record:
        return False
    return _units_in_window(pace, time.time()) + per_record * backlog <= pace.room


@dataclass(frozen=True)
class _PacingBucket:
    """The intake's token bucket of one connection, kept in the cache: ``units`` at the moment ``at``
    (refilling from then), and ``counted_until``: the account's calls before it are taken out.

    Each call is taken out once, by whichever round ends first after it: its own calls, a round's
    beside it, the owner write-backs between rounds. Each round used to take out every call since its
    own start, so two overlapping rounds charged their shared calls twice (the next round of a
    3,000-lead burst started 7 s after the first instead of about 3 s: docs/benchmarks.md,
    fairness), while the write-backs made between rounds were never charged."""

    pace: Pace
    units: float
    at: float
    counted_until: datetime

    @classmethod
    def load(cls, connection_id: object, pace: Pace, started: float) -> _PacingBucket:
        """The kept bucket, or a full one counting from ``started`` (calls before the round are not
        the intake's)."""
        kept = cache.get(_allowance_key(connection_id))
        if isinstance(kept, tuple) and len(kept) == 3:
            units, at, counted_until = kept
            return cls(pace, units, at, _moment(counted_until))
        return cls(pace, pace.allowance, started, _moment(started))

    def units_at(self, moment: float) -> float:
        return min(self.pace.allowance, self.units + max(0.0, moment - self.at) * self.pace.per_second)

    def take(self, units: float, first_call: float, now: float) -> _PacingBucket:
        """The calls counted up to ``now`` taken out at the first of them (the bucket refilled until
        then, and from then on)."""
        left = self.units_at(first_call) - units
        return _PacingBucket(self.pace, left, max(first_call, self.at), _moment(now))

    def refilled_at(self) -> float | None:
        """When the bucket is out of debt (None: it is not in debt)."""
        return self.at - self.units / self.pace.per_second if self.units < 0 else None

    def save(self, connection_id: object) -> None:
        lasts = (self.pace.allowance - self.units) / self.pace.per_second + 60
        kept = (self.units, self.at, self.counted_until.timestamp())
        cache.set(_allowance_key(connection_id), kept, timeout=int(lasts))


def _units_in_window(pace: Pace, now: float) -> int:
    """Units of the account's calls in the budget's window up to ``now``."""
    in_window = pace.calls().filter(created_at__gte=_moment(now - pace.window))
    return in_window.aggregate(units=Sum("units"))["units"] or 0


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _allowance_key(connection_id: object) -> str:
    return f"intake:allowance:{connection_id}"


def _cost_key(connection_id: object) -> str:
    return f"intake:cost-per-record:{connection_id}"


def _own_units_key(connection_id: object) -> str:
    return f"intake:round-units:{connection_id}"
