"""Selector: the one-line verdict on a connection's health (healthy / degraded / failing, and why).

Read by the provider health page and its JSON and metrics (crm_integrations/health_data.py) and by
alerting. ``connection_verdict(connection, now=None)`` is the stable entry point; ``judge(facts)``
is the pure rule set, and ``facts_for`` gathers the facts of many connections at once from the
rollups (crm_integrations/rollups.py), the circuit breaker rows and the connection itself, never
from the raw call records.

Rules, first match wins:

* failing: the connection needs reconnecting or is in error; its circuit breaker is open; our rate
  limiter for it is failing; or at least half of its calls in the last 15 minutes failed.
* degraded: the breaker is probing (half-open); over 5 % of the last hour's calls failed (429s
  included); 90 % or more of the CRM's daily API allocation is used (its last reading within the
  hour, ``CrmProvider.daily_allocation``); the rate budget peaked at 90 % or more in a minute; write-backs
  failed in the hour.
* healthy otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from .core import registry
from .core.allocation import AllocationReading
from .core.registry import UnknownProvider
from .models import (
    ApiCallRollup,
    BreakerState,
    BucketSize,
    ConnectionStatus,
    OrganizationIntegration,
    ProviderCircuitBreaker,
    StatusClass,
)

HEALTHY, DEGRADED, FAILING = "healthy", "degraded", "failing"
LEVEL_LABELS = {HEALTHY: "Healthy", DEGRADED: "Degraded", FAILING: "Failing"}
RECENT = timedelta(minutes=15)
HOUR = timedelta(hours=1)
FAILING_SHARE = 0.5
DEGRADED_SHARE = 0.05
BUDGET_WARNING = 0.9
ALLOCATION_WARNING = 0.9
#: Fewer calls than this in 15 minutes say too little to call a connection failing.
MIN_CALLS = 5
#: What each kind of failed call is called on the page (labels, not codes).
ERROR_KINDS: dict[str, str] = {
    StatusClass.RATE_LIMITED: "rate limited",
    StatusClass.SERVER_ERROR: "server errors",
    StatusClass.TIMEOUT: "timeouts",
    StatusClass.CONNECTION_ERROR: "timeouts",
    StatusClass.AUTH: "authentication refused",
    StatusClass.CLIENT_ERROR: "invalid requests",
    StatusClass.NOT_SENT: "held back",
    StatusClass.OTHER: "other failures",
}
FAILED_CLASSES = frozenset(ERROR_KINDS)


@dataclass(frozen=True)
class Verdict:
    level: str
    reason: str

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level]

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "label": self.label, "reason": self.reason}


@dataclass
class Facts:
    """What the verdict is drawn from, for one connection."""

    provider_name: str
    status: str
    status_reason: str = ""
    breaker_state: str = BreakerState.CLOSED
    breaker_opened_at: datetime | None = None
    limiter_failing_since: datetime | None = None
    recent_calls: int = 0
    recent_errors: int = 0
    hour_calls: int = 0
    hour_errors: Counter[str] = field(default_factory=Counter)  # error kind label -> attempts
    budget_peak: float | None = None
    writes_failed: int = 0
    allocation: AllocationReading | None = None


def judge(facts: Facts) -> Verdict:
    """The rules above, in words staff can act on."""
    name = facts.provider_name
    if facts.status == ConnectionStatus.NEEDS_REAUTH:
        return Verdict(FAILING, f"Needs reconnecting: {facts.status_reason or name + ' refused our access'}")
    if facts.status == ConnectionStatus.ERROR:
        return Verdict(FAILING, f"Connection in error: {facts.status_reason or 'see the integrations page'}")
    if facts.breaker_state == BreakerState.OPEN:
        since = (
            f" since {timezone.localtime(facts.breaker_opened_at):%H:%M}" if facts.breaker_opened_at else ""
        )
        return Verdict(FAILING, f"Circuit breaker open{since}: {name} kept failing, calls are held back")
    if facts.limiter_failing_since:
        return Verdict(FAILING, "Our rate limiter is failing: calls are held back")
    if facts.recent_calls >= MIN_CALLS and facts.recent_errors >= FAILING_SHARE * facts.recent_calls:
        return Verdict(
            FAILING,
            f"{facts.recent_errors} of {facts.recent_calls} calls failed in the last 15 minutes"
            f"{_mostly(facts.hour_errors)}",
        )
    if facts.breaker_state == BreakerState.HALF_OPEN:
        return Verdict(DEGRADED, f"Circuit breaker half-open: trying {name} again after failures")
    errors = sum(facts.hour_errors.values())
    if facts.hour_calls and errors > DEGRADED_SHARE * facts.hour_calls:
        detail = ", ".join(f"{count} {kind}" for kind, count in facts.hour_errors.most_common())
        return Verdict(
            DEGRADED, f"{errors / facts.hour_calls:.0%} of calls failed in the last hour ({detail})"
        )
    allocation = facts.allocation
    if allocation is not None and allocation.share >= ALLOCATION_WARNING and not allocation.stale:
        return Verdict(DEGRADED, f"{facts.allocation.share:.0%} of the daily API allocation used")
    if facts.budget_peak is not None and facts.budget_peak >= BUDGET_WARNING:
        return Verdict(DEGRADED, f"Rate budget nearly spent: {facts.budget_peak:.0%} used at the peak minute")
    if facts.writes_failed:
        return Verdict(DEGRADED, f"{facts.writes_failed} owner write-backs failed in the last hour")
    if facts.status != ConnectionStatus.CONNECTED:
        return Verdict(HEALTHY, f"Not connected yet ({ConnectionStatus(facts.status).label.lower()})")
    if not facts.hour_calls:
        return Verdict(HEALTHY, "No calls in the last hour")
    return Verdict(HEALTHY, f"{facts.hour_calls} calls in the last hour, {errors or 'none'} failed")


def _mostly(errors: Counter[str]) -> str:
    return f", mostly {errors.most_common(1)[0][0]}" if errors else ""


def connection_verdict(connection: OrganizationIntegration, *, now: datetime | None = None) -> Verdict:
    """The verdict on one connection now (a few indexed queries on the rollups)."""
    return judge(facts_for([connection], now=now)[connection.pk])


def verdicts(
    connections: Iterable[OrganizationIntegration], *, now: datetime | None = None
) -> dict[object, Verdict]:
    return {pk: judge(facts) for pk, facts in facts_for(list(connections), now=now).items()}


def facts_for(
    connections: list[OrganizationIntegration],
    *,
    now: datetime | None = None,
    writes_failed: Mapping[object, int] | None = None,
) -> dict[object, Facts]:
    """The facts of each connection (by pk), read from the last hour's minute rollups."""
    now = now or timezone.now()
    facts = {
        connection.pk: Facts(
            provider_name=_provider_name(connection.integration.provider),
            status=connection.status,
            status_reason=connection.status_reason,
            limiter_failing_since=connection.rate_limiter_failing_since,
            writes_failed=(writes_failed or {}).get(connection.pk, 0),
            allocation=_allocation(connection),
        )
        for connection in connections
    }
    accounts = {
        (c.integration.provider, c.external_account_id): c.pk for c in connections if c.external_account_id
    }
    for breaker in ProviderCircuitBreaker.objects.filter(
        provider__in={provider for provider, _ in accounts}, account__in={account for _, account in accounts}
    ):
        pk = accounts.get((breaker.provider, breaker.account))
        if pk is not None:
            facts[pk].breaker_state, facts[pk].breaker_opened_at = breaker.state, breaker.opened_at
    rows = (
        ApiCallRollup.objects.filter(
            connection__in=list(facts), bucket_size=BucketSize.MINUTE, bucket_start__gte=now - HOUR
        )
        .values("connection_id", "bucket_start", "status_class")
        .annotate(calls=Sum("calls"), units=Sum("units"))
    )
    units: dict[tuple, int] = Counter()
    recent = now - RECENT
    for row in rows:
        fact = facts[row["connection_id"]]
        failed = row["status_class"] in FAILED_CLASSES
        fact.hour_calls += row["calls"]
        if failed:
            fact.hour_errors[ERROR_KINDS[row["status_class"]]] += row["calls"]
        if row["bucket_start"] >= recent:
            fact.recent_calls += row["calls"]
            fact.recent_errors += row["calls"] if failed else 0
        units[(row["connection_id"], row["bucket_start"])] += row["units"] or 0
    per_provider = {key: budget_capacity(key, 60) for key in {c.integration.provider for c in connections}}
    capacity = {c.pk: per_provider[c.integration.provider] for c in connections}
    for (pk, _), spent in units.items():
        if capacity[pk]:
            facts[pk].budget_peak = max(facts[pk].budget_peak or 0.0, spent / capacity[pk])
    return facts


def budget_share(provider: str, units: int, seconds: float) -> float | None:
    """The share of ``provider``'s main rate budget that ``units`` over ``seconds`` use (1.0: all)."""
    capacity = budget_capacity(provider, seconds)
    return units / capacity if capacity else None


def budget_capacity(provider: str, seconds: float) -> float | None:
    """``CrmProvider.budget_capacity``; None for a provider not registered or without a budget."""
    try:
        return registry.get_provider(provider).budget_capacity(seconds)
    except UnknownProvider:
        return None


def _allocation(connection: OrganizationIntegration) -> AllocationReading | None:
    """``CrmProvider.daily_allocation``: the CRM's last reading (from the cache, no API call)."""
    try:
        return registry.get_provider(connection.integration.provider).daily_allocation(connection)
    except UnknownProvider:
        return None


def _provider_name(provider: str) -> str:
    try:
        return registry.get_provider(provider).name
    except UnknownProvider:
        return provider
