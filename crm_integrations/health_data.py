"""Selector: everything the provider health page, its JSON (crm_integrations/api/health.py) and
``/metrics`` show per connection over the last hour, day or week, read from rollups only.

* API calls: ``ApiCallRollup``. The hour view reads minute buckets; the day and week views read hour
  buckets up to the hourly roll-up's cursor and minute buckets after it (the hour under way), so
  every call is counted once. Latency per endpoint template over a period is the calls-weighted
  mean of the buckets' own p50 and p95 (exact within one bucket).
* Webhooks and intake lag: ``WebhookRollup`` (crm_integrations/webhook_rollups.py).
* Write-backs and created → owner written: the apps above, through crm_integrations/health_hooks.py.
* Breaker, transitions and token state: their own small rows.

The verdict is crm_integrations/health.py's, on the last hour's minute buckets.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from . import health, health_hooks
from .core import registry
from .models import (
    ApiCallRollup,
    ApiCallRollupCursor,
    BreakerState,
    BucketSize,
    CircuitBreakerTransition,
    ConnectionStatus,
    OrganizationIntegration,
    StatusClass,
    WebhookRollup,
)


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    span: timedelta
    step: timedelta


PERIODS = {
    "hour": Period("hour", "Last hour", timedelta(hours=1), timedelta(minutes=1)),
    "day": Period("day", "Last day", timedelta(days=1), timedelta(hours=1)),
    "week": Period("week", "Last week", timedelta(days=7), timedelta(hours=1)),
}
#: The error kinds charted, in order: label -> the status classes counted under it.
ERROR_SERIES: dict[str, tuple[str, ...]] = {
    "Rate limited": (StatusClass.RATE_LIMITED,),
    "Server errors (5xx)": (StatusClass.SERVER_ERROR,),
    "Timeouts": (StatusClass.TIMEOUT, StatusClass.CONNECTION_ERROR),
    "Authentication refused": (StatusClass.AUTH,),
    "Invalid requests": (StatusClass.CLIENT_ERROR,),
    "Held back (breaker or limiter)": (StatusClass.NOT_SENT, StatusClass.OTHER),
}
KIND_OF = {status: label for label, statuses in ERROR_SERIES.items() for status in statuses}
TRANSITIONS_SHOWN = 10


def period(key: str | None) -> Period:
    return PERIODS.get(key or "hour", PERIODS["hour"])


def _floor(moment: datetime, step: timedelta) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    return moment.replace(minute=0) if step >= timedelta(hours=1) else moment


def dashboard(
    connections: list[OrganizationIntegration], *, period_key: str = "hour", now: datetime | None = None
) -> dict[str, Any]:
    """The page's data: per connection, its series, tables, verdict; JSON-ready (ISO times)."""
    now = now or timezone.now()
    chosen = period(period_key)
    last = _floor(now, chosen.step)
    points = [last - chosen.step * i for i in range(int(chosen.span / chosen.step) - 1, -1, -1)]
    since = points[0]
    ids = [connection.pk for connection in connections]
    calls = _call_series(ids, since, chosen.step)
    endpoints = _endpoints(ids, since, chosen.step)
    webhooks = _webhook_series(ids, since, chosen.step)
    transitions = _transitions(connections, since)
    leads = health_hooks.lead_figures(ids, since, now)
    recent_failed = {pk: figures.get("writes_failed_recent", 0) for pk, figures in leads.items()}
    facts = health.facts_for(connections, now=now, writes_failed=recent_failed)
    budgets = {key: _budget(key, chosen.step) for key in {c.integration.provider for c in connections}}
    rows = []
    for connection in connections:
        pk = connection.pk
        verdict = health.judge(facts[pk])
        rows.append(
            _connection_row(
                connection,
                points,
                chosen,
                budgets[connection.integration.provider],
                calls.get(pk, {}),
                endpoints.get(pk, []),
                webhooks.get(pk, {}),
                transitions.get(pk, []),
                leads.get(pk, {}),
                facts[pk],
                verdict,
            )
        )
    return {
        "period": chosen.key,
        "period_label": chosen.label,
        "generated_at": now.isoformat(),
        "labels": [point.isoformat() for point in points],
        "connections": rows,
    }


def summary(connections: list[OrganizationIntegration], *, now: datetime | None = None) -> dict[str, Any]:
    """The verdict and the last hour's totals per connection, without series: a superuser's page over
    every organization (the charts are one organization's page away)."""
    now = now or timezone.now()
    ids = [connection.pk for connection in connections]
    leads = health_hooks.lead_figures(ids, now - health.HOUR, now)
    recent_failed = {pk: figures.get("writes_failed_recent", 0) for pk, figures in leads.items()}
    facts = health.facts_for(connections, now=now, writes_failed=recent_failed)
    rows = []
    for connection in connections:
        fact = facts[connection.pk]
        rows.append(
            {
                "id": str(connection.pk),
                "organization": {"id": connection.organization_id, "name": connection.organization.name},
                "provider_name": fact.provider_name,
                "environment": connection.get_environment_display(),
                "status": connection.get_status_display(),
                "verdict": health.judge(fact).as_dict(),
                "calls_total": fact.hour_calls,
                "errors_total": sum(fact.hour_errors.values()),
                "breaker": dict(BreakerState.choices)[fact.breaker_state],
                "budget_peak": fact.budget_peak,
                "writes_pending": leads.get(connection.pk, {}).get("writes_pending", 0),
            }
        )
    return {"period": "hour", "generated_at": now.isoformat(), "connections": rows}


def _budget(provider: str, step: timedelta) -> tuple[float | None, str]:
    """The provider's rate budget per point (units) and its name, once per provider and page."""
    return health.budget_capacity(provider, step.total_seconds()), registry.get_provider(
        provider
    ).describe_budget()


def _sources(since: datetime, step: timedelta) -> Q:
    """Which rollup rows cover ``[since, now)`` once each (see the module docstring)."""
    if step < timedelta(hours=1):
        return Q(bucket_size=BucketSize.MINUTE, bucket_start__gte=since)
    cursor = ApiCallRollupCursor.objects.values_list("rolled_up_until", flat=True).first() or since
    cursor = max(cursor, since)
    return Q(bucket_size=BucketSize.HOUR, bucket_start__gte=since, bucket_start__lt=cursor) | Q(
        bucket_size=BucketSize.MINUTE, bucket_start__gte=cursor
    )


def _call_series(ids: list[Any], since: datetime, step: timedelta) -> dict[Any, dict[str, Any]]:
    rows = (
        ApiCallRollup.objects.filter(_sources(since, step), connection__in=ids)
        .values("connection_id", "bucket_start", "status_class")
        .annotate(calls=Sum("calls"), units=Sum("units"), queued=Sum("queued"))
        .order_by()
    )
    series: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"calls": Counter(), "units": Counter(), "queued": 0, "kinds": defaultdict(Counter)}
    )
    for row in rows:
        entry = series[row["connection_id"]]
        point = _floor(row["bucket_start"], step)
        entry["calls"][point] += row["calls"]
        entry["units"][point] += row["units"] or 0
        entry["queued"] += row["queued"] or 0
        kind = KIND_OF.get(row["status_class"])
        if kind:
            entry["kinds"][kind][point] += row["calls"]
    return series


def _endpoints(ids: list[Any], since: datetime, step: timedelta) -> dict[Any, list[dict[str, Any]]]:
    rows = (
        ApiCallRollup.objects.filter(_sources(since, step), connection__in=ids)
        .exclude(status_class=StatusClass.NOT_SENT)
        .values("connection_id", "method", "endpoint")
        .annotate(
            attempts=Sum("calls"),
            failed=Sum("errors"),
            p50=Sum(F("latency_p50_ms") * F("calls")),
            p95=Sum(F("latency_p95_ms") * F("calls")),
            worst=Max("latency_max_ms"),
        )
        .order_by("-attempts")
    )
    endpoints: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        calls = row["attempts"] or 0
        endpoints[row["connection_id"]].append(
            {
                "method": row["method"],
                "endpoint": row["endpoint"],
                "calls": calls,
                "errors": row["failed"] or 0,
                "p50_ms": round(row["p50"] / calls) if calls else 0,
                "p95_ms": round(row["p95"] / calls) if calls else 0,
                "max_ms": row["worst"] or 0,
            }
        )
    return endpoints


def _webhook_series(ids: list[Any], since: datetime, step: timedelta) -> dict[Any, dict[str, Any]]:
    size = BucketSize.MINUTE if step < timedelta(hours=1) else BucketSize.HOUR
    rows = WebhookRollup.objects.filter(
        connection__in=ids, bucket_size=size, bucket_start__gte=since
    ).values_list(
        "connection_id",
        "bucket_start",
        "deliveries",
        "refused",
        "duplicates",
        "lag_count",
        "lag_p50_ms",
        "lag_p95_ms",
    )
    series: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"deliveries": Counter(), "refused": 0, "duplicates": 0, "lags": []}
    )
    for pk, start, deliveries, refused, duplicates, lag_count, p50, p95 in rows:
        entry = series[pk]
        entry["deliveries"][start] += deliveries
        entry["refused"] += refused
        entry["duplicates"] += duplicates
        if lag_count:
            entry["lags"].append((lag_count, p50, p95))
    return series


def _transitions(connections: list[OrganizationIntegration], since: datetime) -> dict[Any, list[dict]]:
    accounts = {
        (c.integration.provider, c.external_account_id): c.pk for c in connections if c.external_account_id
    }
    if not accounts:
        return {}
    rows = CircuitBreakerTransition.objects.filter(
        at__gte=since,
        provider__in={provider for provider, _ in accounts},
        account__in={account for _, account in accounts},
    ).order_by("-at")[: TRANSITIONS_SHOWN * len(accounts)]
    labels = dict(BreakerState.choices)
    shown: dict[Any, list[dict]] = defaultdict(list)
    for row in rows:
        pk = accounts.get((row.provider, row.account))
        if pk is not None and len(shown[pk]) < TRANSITIONS_SHOWN:
            shown[pk].append(
                {"at": row.at.isoformat(), "from": labels[row.from_state], "to": labels[row.to_state]}
            )
    return shown


def _weighted(lags: list[tuple[int, int, int]], index: int) -> int | None:
    total = sum(lag[0] for lag in lags)
    return round(sum(lag[0] * lag[index] for lag in lags) / total) if total else None


def _connection_row(
    connection: OrganizationIntegration,
    points: list[datetime],
    chosen: Period,
    budget: tuple[float | None, str],
    calls: dict[str, Any],
    endpoints: list[dict[str, Any]],
    webhooks: dict[str, Any],
    transitions: list[dict],
    leads: dict[str, Any],
    facts: health.Facts,
    verdict: health.Verdict,
) -> dict[str, Any]:
    minutes = chosen.step.total_seconds() / 60
    provider = registry.get_provider(connection.integration.provider)
    call_counts = calls.get("calls", Counter())
    units = calls.get("units", Counter())
    capacity, budget_label = budget
    shares = [units[p] / capacity if capacity else None for p in points]
    total_calls = sum(call_counts.values())
    kinds = calls.get("kinds", {})
    deliveries = webhooks.get("deliveries", Counter())
    lags = webhooks.get("lags", [])
    return {
        "id": str(connection.pk),
        "organization": {"id": connection.organization_id, "name": connection.organization.name},
        "provider": provider.key,
        "provider_name": provider.name,
        "environment": connection.get_environment_display(),
        "account": connection.external_account_id,
        "status": connection.get_status_display(),
        "verdict": verdict.as_dict(),
        "calls_per_minute": [round(call_counts[p] / minutes, 2) for p in points],
        "calls_total": total_calls,
        "errors": {label: [kinds.get(label, Counter())[p] for p in points] for label in ERROR_SERIES},
        "error_totals": {label: sum(kinds.get(label, Counter()).values()) for label in ERROR_SERIES},
        "endpoints": endpoints,
        "budget": {
            "label": budget_label,
            "share": [round(share, 4) if share is not None else None for share in shares],
            "peak": max((share for share in shares if share is not None), default=None),
            "peak_minute": facts.budget_peak,
            "queued": calls.get("queued", 0),
            "queued_share": round(calls.get("queued", 0) / total_calls, 4) if total_calls else 0.0,
        },
        "allocation": facts.allocation.as_dict() if facts.allocation else None,
        "breaker": {
            "state": dict(BreakerState.choices)[facts.breaker_state],
            "opened_at": facts.breaker_opened_at.isoformat() if facts.breaker_opened_at else None,
            "transitions": transitions,
        },
        "token": {
            "expires_at": connection.expires_at.isoformat() if connection.expires_at else None,
            "last_refreshed_at": (
                connection.last_refreshed_at.isoformat() if connection.last_refreshed_at else None
            ),
            "auth_failures": sum(kinds.get("Authentication refused", Counter()).values()),
            "needs_reconnection": connection.status == ConnectionStatus.NEEDS_REAUTH,
            "reason": connection.status_reason,
        },
        "webhooks": {
            "per_minute": [round(deliveries[p] / minutes, 2) for p in points],
            "deliveries": sum(deliveries.values()),
            "refused": webhooks.get("refused", 0),
            "duplicates": webhooks.get("duplicates", 0),
            "intake_lag_p50_ms": _weighted(lags, 1),
            "intake_lag_p95_ms": _weighted(lags, 2),
        },
        "leads": {
            "owners_written": leads.get("owners_written", 0),
            "to_owner_p50_ms": leads.get("to_owner_p50_ms"),
            "to_owner_p95_ms": leads.get("to_owner_p95_ms"),
            "writes_pending": leads.get("writes_pending", 0),
            "writes_failed": leads.get("writes_failed", 0),
        },
    }


def connections_for(user: object, organization: Any = None) -> list[OrganizationIntegration]:
    """The live connections whose health ``user`` may see: those of ``organization`` (one of the
    user's own, else none) or, without one, of every organization of the user (a superuser: all)."""
    from .selectors import organizations_for_user

    organizations = organizations_for_user(user)
    if organization is not None:
        organizations = organizations.filter(pk=getattr(organization, "pk", organization))
    return _live(OrganizationIntegration.objects.filter(organization__in=organizations))


def all_connections() -> list[OrganizationIntegration]:
    """Every live connection (``/metrics`` read with the deployment's token)."""
    return _live(OrganizationIntegration.objects.all())


def _live(connections: Any) -> list[OrganizationIntegration]:
    return list(
        connections.exclude(status=ConnectionStatus.DISCONNECTED)
        .select_related("integration", "organization")
        .order_by("organization__name", "integration__name", "environment")
    )


def by_organization(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's connections grouped per organization, with how many are in each state."""
    groups: dict[Any, dict[str, Any]] = {}
    for row in data["connections"]:
        organization = row["organization"]
        group = groups.setdefault(
            organization["id"], {**organization, "connections": [], "counts": Counter()}
        )
        group["connections"].append(row)
        group["counts"][row["verdict"]["level"]] += 1
    return list(groups.values())
