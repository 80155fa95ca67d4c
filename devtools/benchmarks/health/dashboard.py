"""The provider health dashboard benchmark (``manage.py benchmark_health_dashboard``).

Seeds ``connections`` connections (four per organization: HubSpot and monday, production and
sandbox) with a week of rollups worth ``calls`` call records: per connection and hour of the week,
minute buckets (one per minute with calls) and hour buckets over five endpoint templates, 3 % of
calls failed (429s and 5xx), plus webhook and lead-timing rollups. No raw call record is needed:
the page reads rollups only, and the benchmark counts the SQL statements that touch the call
records' table while it renders (it must be 0).

Then renders the page (and its JSON) through Django's test client as a superuser, ``requests``
times each, for one organization (what staff open) and for all organizations (a superuser's
breakdown), and prints p50/p95 against the goal (p95 < 300 ms), PASS/MISS.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm_integrations.models import (
    ApiCallRollup,
    ApiCallRollupCursor,
    BucketSize,
    Organization,
    OrganizationIntegration,
    ProviderApiCall,
    StatusClass,
    WebhookRollup,
)
from crm_integrations.services import upsert_organization_integration
from routing.models import LeadTimingRollup

GOAL_P95_MS = 300.0
SLUG = "health-benchmark"
ENDPOINTS = [
    ("GET", "/crm/v3/objects/{objectType}/{objectId}"),
    ("POST", "/crm/v3/objects/{objectType}/batch/read"),
    ("POST", "/crm/v3/objects/{objectType}/batch/update"),
    ("POST", "/crm/v3/objects/{objectType}/search"),
    ("GET", "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/{toObjectType}"),
]
SHAPES = [("hubspot", "production"), ("hubspot", "sandbox"), ("monday", "production"), ("monday", "sandbox")]
HOURS = 7 * 24
#: Set when the benchmark made the roll-up cursor (a database without one), so it removes it too.
_made_cursor: list[bool] = []


@dataclass
class Result:
    connections: int
    organizations: int
    calls: int
    rollup_rows: int
    seed_seconds: float
    timings: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, float] = field(default_factory=dict)
    raw_queries: int = 0

    def percentile(self, name: str, fraction: float, *, cpu: bool = False) -> float:
        ordered = sorted((self.cpu if cpu else self.timings)[name])
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def seed(*, connections: int, calls: int, now: datetime, rng: random.Random) -> list[OrganizationIntegration]:
    """The organizations, connections and a week of rollups; returns the connections."""
    made = []
    for index in range(connections):
        number, shape = divmod(index, len(SHAPES))
        organization, _ = Organization.objects.get_or_create(
            slug=f"{SLUG}-{number}", defaults={"name": f"Health benchmark {number:03d}"}
        )
        provider, environment = SHAPES[shape]
        made.append(
            upsert_organization_integration(
                organization,
                provider,
                environment,
                status="connected",
                external_account_id=f"{9_000_000 + index}",
                expires_at=now + timedelta(minutes=30),
            )
        )
    hour_now = now.replace(minute=0, second=0, microsecond=0)
    # A database's own cursor is left as it is (the hourly roll-up relies on it); a fresh one gets one.
    _, created = ApiCallRollupCursor.objects.get_or_create(
        pk=1,
        defaults={
            "rolled_up_until": hour_now,
            "minutes_rolled_up_until": now.replace(second=0, microsecond=0),
        },
    )
    if created:
        _made_cursor.append(True)
    per_hour = max(1, calls // (connections * HOURS))
    for conn in made:
        _seed_connection(conn, per_hour, hour_now, rng)
    return made


def _seed_connection(
    conn: OrganizationIntegration, per_hour: int, hour_now: datetime, rng: random.Random
) -> None:
    provider, account = conn.integration.provider, conn.external_account_id
    api_rows: list[ApiCallRollup] = []
    webhook_rows: list[WebhookRollup] = []
    lead_rows: list[LeadTimingRollup] = []

    def api(size: str, start: datetime, method: str, endpoint: str, status: str, n: int) -> ApiCallRollup:
        latency = rng.randint(80, 400)
        return ApiCallRollup(
            provider=provider, account=account, connection=conn, method=method, endpoint=endpoint,
            status_class=status, bucket_size=size, bucket_start=start, calls=n,
            errors=n if status != StatusClass.SUCCESS else 0, latency_sum_ms=latency * n,
            latency_p50_ms=latency, latency_p95_ms=latency * 2, latency_max_ms=latency * 3, units=n,
        )  # fmt: skip

    for hour in range(HOURS + 1):
        start = hour_now - timedelta(hours=HOURS - hour)
        hourly: dict[tuple, int] = {}
        for minute in range(min(per_hour, 60)):
            method, endpoint = ENDPOINTS[minute % len(ENDPOINTS)]
            status = StatusClass.SUCCESS
            if rng.random() < 0.03:
                status = rng.choice([StatusClass.RATE_LIMITED, StatusClass.SERVER_ERROR])
            n = max(1, per_hour // 60)
            api_rows.append(
                api(BucketSize.MINUTE, start + timedelta(minutes=minute), method, endpoint, status, n)
            )
            hourly[(method, endpoint, status)] = hourly.get((method, endpoint, status), 0) + n
        if start < hour_now:
            api_rows += [api(BucketSize.HOUR, start, m, e, s, n) for (m, e, s), n in hourly.items()]
        taken = per_hour // 5
        webhook_rows.append(
            WebhookRollup(connection=conn, bucket_size=BucketSize.HOUR, bucket_start=start, events=taken,
                          deliveries=taken // 2, duplicates=1, lag_count=taken, lag_p50_ms=900,
                          lag_p95_ms=2500)
        )  # fmt: skip
        lead_rows.append(
            LeadTimingRollup(connection=conn, bucket_size=BucketSize.HOUR, bucket_start=start,
                             owners_written=per_hour // 5, to_owner_p50_ms=1500, to_owner_p95_ms=4000)
        )  # fmt: skip
    for minute in range(60):
        start = hour_now + timedelta(minutes=minute) - timedelta(hours=1)
        webhook_rows.append(
            WebhookRollup(connection=conn, bucket_size=BucketSize.MINUTE, bucket_start=start, deliveries=2)
        )
        lead_rows.append(
            LeadTimingRollup(
                connection=conn, bucket_size=BucketSize.MINUTE, bucket_start=start, owners_written=1
            )
        )
    ApiCallRollup.objects.bulk_create(api_rows, batch_size=2000)
    WebhookRollup.objects.bulk_create(webhook_rows, batch_size=2000)
    LeadTimingRollup.objects.bulk_create(lead_rows, batch_size=2000)


@dataclass
class Measured:
    wall_ms: list[float]
    cpu_ms: list[float]
    queries: float  # SQL statements per request
    raw: int  # statements on the raw call records, in all


def measure(url: str, client: Client, requests: int) -> Measured:
    """Server time of ``requests`` GETs, after one warm-up: wall time, and this process's CPU time
    (the page and SQLite both run here), which other work on a shared machine does not inflate."""
    client.get(url)
    measured = Measured([], [], 0.0, 0)
    for _ in range(requests):
        with CaptureQueriesContext(db) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            measured.cpu_ms.append((time.process_time() - cpu) * 1000)
            measured.wall_ms.append((time.perf_counter() - wall) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        measured.queries += len(queries.captured_queries) / requests
        measured.raw += sum(
            ProviderApiCall._meta.db_table in query["sql"] for query in queries.captured_queries
        )
    return measured


def run(
    *, connections: int, calls: int, requests: int, seed_value: int, say: Callable[[str], None]
) -> Result:
    now = timezone.now()
    started = time.perf_counter()
    made = seed(connections=connections, calls=calls, now=now, rng=random.Random(seed_value))
    seconds = time.perf_counter() - started
    rows = sum(
        model.objects.filter(connection__in=made).count()
        for model in (ApiCallRollup, WebhookRollup, LeadTimingRollup)
    )
    say(f"Seeded {len(made)} connections, {rows:,} rollup rows in {seconds:.1f} s")
    user = get_user_model().objects.filter(
        username="health-benchmark"
    ).first() or get_user_model().objects.create_superuser(
        "health-benchmark", "health-benchmark@example.com", None
    )
    client = Client(HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0].lstrip(".") or "localhost")
    client.force_login(user)
    organization = made[0].organization
    page = reverse("crm_integrations:provider_health")
    api = reverse("crm_integrations:health_api")
    result = Result(len(made), len({c.organization_id for c in made}), calls, rows, seconds)
    for name, url in {
        "page, one organization, last hour": f"{page}?organization={organization.pk}",
        "page, one organization, last week": f"{page}?organization={organization.pk}&period=week",
        "JSON, one organization, last hour": f"{api}?organization={organization.pk}",
        "page, all organizations (superuser), last hour": page,
    }.items():
        measured = measure(url, client, requests)
        result.timings[name], result.cpu[name] = measured.wall_ms, measured.cpu_ms
        result.queries[name] = measured.queries
        result.raw_queries += measured.raw
    return result


def remove(*, say: Callable[[str], None]) -> None:
    """The benchmark's organizations, connections, users and every rollup of its accounts."""
    organizations = Organization.objects.filter(slug__startswith=SLUG)
    connections = OrganizationIntegration.objects.filter(organization__in=organizations)
    accounts = list(connections.values_list("external_account_id", flat=True))
    ApiCallRollup.objects.filter(account__in=accounts).delete()
    connections.delete()
    organizations.delete()
    get_user_model().objects.filter(username="health-benchmark").delete()
    if _made_cursor:
        ApiCallRollupCursor.objects.filter(pk=1).delete()
        _made_cursor.clear()
    say("Removed the benchmark's organizations and rollups")


def report_lines(result: Result) -> list[str]:
    lines = [
        f"Connections: {result.connections} in {result.organizations} organizations; rollups worth "
        f"{result.calls:,} call records ({result.rollup_rows:,} rollup rows), "
        f"seeded in {result.seed_seconds:.1f} s",
        f"Statements on the raw call records while rendering: {result.raw_queries} (must be 0)",
    ]
    for name, timings in result.timings.items():
        p50, p95 = result.percentile(name, 0.5), result.percentile(name, 0.95)
        verdict = "PASS" if p95 < GOAL_P95_MS else "MISS"
        cpu50, cpu95 = result.percentile(name, 0.5, cpu=True), result.percentile(name, 0.95, cpu=True)
        lines.append(
            f"{name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms ({len(timings)} requests; CPU p50 {cpu50:.0f} ms, "
            f"p95 {cpu95:.0f} ms; {result.queries[name]:.0f} queries); "
            f"goal p95 < {GOAL_P95_MS:.0f} ms: {verdict}"
        )
    return lines
