"""Fairness benchmark: does one organization's burst make another wait? Two organizations, each
connected to its own portal of one HubSpot sandbox, share one app (gunicorn and a Celery worker, as
``make run`` starts them), as a SaaS deployment serves many portals from one worker pool.

Phases, each settled (our owner writes echoed back and taken in) before the next:

1. **B alone**: organization B creates one new lead every ``interval`` seconds, ``alone_leads`` of them.
2. **A alone**: organization A creates ``burst`` new leads at once.
3. **A with B**: B's one lead a ``interval`` again, and A's burst a little later; B stops once A's
   burst is owned.

Phases 2 and 3 run ``pairs`` times in turn, and the report pools B's leads of every "A with B"
phase (``fairness_report.pooled``): at one lead a second, one burst of A gives B 15 or so leads, and
the nearest-rank p95 of 15 is their slowest, so a single pair measured B's maximum, not its p95.
Three pairs give about 45 leads, whose p95 is the third slowest. A's ratio is taken within each pair
(a burst alone, then with B, minutes apart) and the median of the pairs' ratios is its figure.

Each of A's bursts starts with A's API budget window clear (``_wait_for_clear_window``): settled is
not enough. A's drain is bound by its budget, and the burst alone ended about 3 s before the burst
with B began, so the second burst's first 10 s still held the first's last calls (in one traced
run 56 of the 100 calls the app keeps to; the second burst's reads then waited for our limiter and
A came out 1.10 times "slower with B"). Measured that way, the ratio compared a burst on a fresh
budget with one on a spent budget, not A with B against A alone.

Each lead is timed from its creation at the CRM to its owner written there (the sandbox's own
timestamps, read in this process, ``latency_measure.crm_leads``); A's drain is its first lead
created to its last owner written. The goals (``fairness_report``): B's p95 under 1 s throughout
A's burst, and A's drain with B no slower than alone. The setup, the webhooks and the clean-up are
the routing latency benchmark's (``latency``).

The CPU each process group spends (``harness/cpu_groups``: gunicorn, Celery, PostgreSQL's backends,
the sandbox in this process) is reported beside them: for ``IDLE_SECONDS`` with nothing to do, during
B's leads alone and during A's drains. How busy A's burst keeps the cores, and how much CPU one of
B's leads needs, decide how long B's leads take during the burst (``fairness_report``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from config.task_routing import queue_for_account
from crm_integrations.models import OrganizationIntegration, ProviderApiCall
from devtools.benchmarks.harness.cpu_groups import CpuSampler, database_to_sample, sampling
from devtools.benchmarks.harness.fresh_db import benchmark_database
from devtools.benchmarks.harness.portal import remove_benchmark_data, start_portal_sandbox
from devtools.benchmarks.harness.waiting import owned_then_unroutable, settle, wait_for_count
from devtools.benchmarks.harness.web_server import serve_app
from devtools.benchmarks.harness.worker import broker_name, broker_notes, run_worker
from devtools.sandboxes.hubspot import RunningSandbox
from devtools.sandboxes.hubspot.client import SandboxControl

from .fairness_report import FairnessReport, Phase
from .latency import LEAD_SUBSCRIPTIONS, app_busy, own_limit, routing_connection, warm_up
from .latency_measure import (
    CrmLead,
    crm_leads,
    lead_timeline,
    owned_count,
    slowest_steps,
    steps_of,
    unroutable_count,
)

SLUG_A, SLUG_B = "fairness-benchmark-a", "fairness-benchmark-b"
PORTAL_A, PORTAL_B = 24_900_011, 24_900_012
#: The portals' budget window, seconds (HubSpot's: calls per 10 s).
BUDGET_WINDOW = 10.0
#: Seconds of nothing to do, after B alone has settled, whose CPU is the stack's idle cost (the
#: workers polling the broker): taken off each phase's CPU before it is divided among its leads.
IDLE_SECONDS = 3.0
#: B's first leads alone left out of its CPU per lead: the first task in each Celery process pays
#: that process's first CRM calls and reads (B's first lead alone is its slowest: its p95).
WARM_LEADS = 2


@dataclass(frozen=True)
class FairnessOptions:
    burst: int = 3_000  # A's new leads at once
    interval: float = 1.0  # B: one new lead every this many seconds
    alone_leads: int = 10  # B's leads in the phase without A
    pairs: int = 3  # A's burst alone, then with B, this many times (B's leads pooled)
    web_workers: int = 2
    workers: int = 2
    senders: int = 10  # the sandbox's concurrent webhook POSTs
    api_limit: int = 110  # each portal's API calls per 10 s (the app keeps a tenth below it)
    broker_url: str | None = None
    fresh_db: bool = True
    keep: bool = False
    timeout: float = 600.0  # waiting for a phase's owners
    stall_seconds: float = 90.0
    settle_seconds: float = 120.0


class Ticker(threading.Thread):
    """Organization B's new leads, one every ``interval`` seconds (through a control client of its
    own: the main thread polls the sandbox meanwhile), until ``stop`` or ``limit`` leads."""

    def __init__(self, sandbox: RunningSandbox, interval: float, limit: int | None = None) -> None:
        super().__init__(name="fairness-organization-b", daemon=True)
        self.control = SandboxControl(sandbox.base_url)
        self.interval, self.limit = interval, limit
        self.ids: list[str] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        next_at = time.monotonic()
        while not self.stopped.is_set() and (self.limit is None or len(self.ids) < self.limit):
            seeded = self.control.seed_leads(1, portal_id=PORTAL_B, fresh=True, unowned=True)
            self.ids.append(str(seeded["firstId"]))
            next_at += self.interval
            self.stopped.wait(max(0.0, next_at - time.monotonic()))

    def finish(self) -> list[str]:
        self.stopped.set()
        self.join()
        return self.ids


def run_benchmark(options: FairnessOptions) -> FairnessReport:
    folder = Path(tempfile.mkdtemp(prefix="routing-fairness-"))
    try:
        with (
            benchmark_database(folder, fresh=options.fresh_db, keep=options.keep) as database,
            sampling(database_to_sample(options.fresh_db)) as sampler,
        ):
            sandbox = start_portal_sandbox(
                PORTAL_A, PORTAL_B, webhook_max_concurrent=options.senders, rate_limit_max=options.api_limit
            )
            try:
                return _run(sandbox, options, folder, database, sampler)
            finally:
                sandbox.stop()
                if not options.fresh_db and not options.keep:
                    remove_fairness_benchmark()
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


def remove_fairness_benchmark() -> None:
    remove_benchmark_data(slug=SLUG_A, portal_id=PORTAL_A)
    remove_benchmark_data(slug=SLUG_B, portal_id=PORTAL_B)


def _run(
    sandbox: RunningSandbox, options: FairnessOptions, folder: Path, database: str, sampler: CpuSampler
) -> FairnessReport:
    a = routing_connection(sandbox, slug=SLUG_A, portal_id=PORTAL_A, name="Fairness benchmark A")
    b = routing_connection(sandbox, slug=SLUG_B, portal_id=PORTAL_B, name="Fairness benchmark B")
    env = {
        "HUBSPOT_SANDBOX_URL": sandbox.base_url,
        "HUBSPOT_RATE_LIMIT": f"[[{own_limit(options)}, {BUDGET_WINDOW:g}]]",
    }
    if options.broker_url:
        env["CELERY_BROKER_URL"] = options.broker_url
    var_dir = folder / "var"
    var_dir.mkdir()
    path = reverse("crm_integrations:webhook_events", args=["hubspot"])
    app = {"var_dir": str(var_dir), "extra_env": env}
    with (
        serve_app(options.web_workers, ready_path=path, **app) as base_url,
        run_worker(str(var_dir), options.workers, extra_env=env),
    ):
        warm_up(base_url + path)
        sandbox.control.configure_webhooks(targetUrl=base_url + path, subscriptions=LEAD_SUBSCRIPTIONS)
        try:
            phases = [_b_alone(sandbox, a, b, options, sampler)]
            idle = _idle_cpu(sampler)
            for _ in range(options.pairs):
                phases += [
                    _a_burst(sandbox, a, b, options, sampler, with_b=with_b) for with_b in (False, True)
                ]
        finally:
            sandbox.control.configure_webhooks(targetUrl=None)
    notes = [
        f"{os.cpu_count()} CPUs shared by the sandbox (in this process), gunicorn and Celery",
        f"each portal's API budget {options.api_limit:,} calls / 10 s "
        f"(the app keeps to {own_limit(options):,})",
        *broker_notes(options.broker_url),
    ]
    return FairnessReport(
        options=options,
        broker=broker_name(options.broker_url),
        database=database,
        queues=(_queue(a), _queue(b)),
        phases=tuple(phases),
        cpus=len(os.sched_getaffinity(0)),
        idle_cpu=idle,
        notes=tuple(notes),
    )


def _queue(connection: OrganizationIntegration) -> str:
    return queue_for_account(f"{connection.provider}:{connection.external_account_id}")


def _b_alone(
    sandbox: RunningSandbox,
    a: OrganizationIntegration,
    b: OrganizationIntegration,
    options: FairnessOptions,
    sampler: CpuSampler,
) -> Phase:
    since = timezone.now()
    ticker = Ticker(sandbox, options.interval, limit=options.alone_leads)
    ticker.start()
    ticker.join()
    b_ids = ticker.ids
    b_missing = _wait_owned(sandbox, PORTAL_B, b, b_ids, options)
    _settle_both(sandbox, (a, b), since, options)
    warm = WARM_LEADS if len(b_ids) > WARM_LEADS else 0
    window = _window(crm_leads(sandbox, PORTAL_B, b_ids[warm:]))
    return Phase(
        "B alone",
        _latencies(sandbox, PORTAL_B, b_ids),
        b_missing,
        len(b_ids),
        cpu=_cpu(sampler, window),
        cpu_seconds=_seconds(window),
        cpu_leads=len(b_ids) - warm,
        b_call_ms=_call_times(b, window),
    )


def _idle_cpu(sampler: CpuSampler) -> dict[str, float]:
    """CPU seconds a second per process group over ``IDLE_SECONDS`` with nothing to do."""
    start = time.time()
    time.sleep(IDLE_SECONDS)
    spent = sampler.cpu_between(start, time.time())
    return {group: seconds / IDLE_SECONDS for group, seconds in spent.items()}


def _window(leads: dict[str, CrmLead]) -> tuple[int, int] | None:
    """The first lead created to the last owner written, ms by the sandbox's (wall) clock; None when
    nothing was owned."""
    written = [lead.owner_written_ms for lead in leads.values() if lead.owner_written_ms is not None]
    if not written:
        return None
    return min(lead.created_ms for lead in leads.values()), max(written)


def _seconds(window: tuple[int, int] | None) -> float | None:
    return (window[1] - window[0]) / 1000 if window else None


def _cpu(sampler: CpuSampler, window: tuple[int, int] | None) -> dict[str, float] | None:
    return sampler.cpu_between(window[0] / 1000, window[1] / 1000) if window else None


def _a_burst(
    sandbox: RunningSandbox,
    a: OrganizationIntegration,
    b: OrganizationIntegration,
    options: FairnessOptions,
    sampler: CpuSampler,
    *,
    with_b: bool,
) -> Phase:
    _wait_for_clear_window(a)
    since = timezone.now()
    ticker = Ticker(sandbox, options.interval) if with_b else None
    if ticker:
        ticker.start()
        time.sleep(2 * options.interval)  # B's single leads flow before A's burst starts
    a_ids = _seed_burst(sandbox, options.burst)
    a_missing = _wait_owned(sandbox, PORTAL_A, a, a_ids, options)
    b_ids = ticker.finish() if ticker else []
    b_missing = _wait_owned(sandbox, PORTAL_B, b, b_ids, options) if b_ids else 0
    _settle_both(sandbox, (a, b), since, options)
    window = _window(crm_leads(sandbox, PORTAL_A, a_ids))
    b_during = _latencies(sandbox, PORTAL_B, b_ids, between=window or (0, 0))
    # B's leads created during A's drain (all of B's when none was: as ``b_during`` falls back)
    b_shown = _created_between(sandbox, PORTAL_B, b_ids, window or (0, 0)) or b_ids
    timeline = lead_timeline(sandbox, b, b_shown) if b_shown else ()
    return Phase(
        "A with B" if with_b else "A alone",
        b_during or _latencies(sandbox, PORTAL_B, b_ids),
        b_missing,
        len(b_ids),
        a_leads=len(a_ids),
        a_missing=a_missing,
        a_drain_seconds=_seconds(window),
        cpu=_cpu(sampler, window),
        cpu_seconds=_seconds(window),
        cpu_leads=len(a_ids),
        b_steps=steps_of(timeline) if timeline else {},
        b_slowest=slowest_steps(timeline) if timeline else {},
        b_call_ms=_call_times(b, window) if with_b else (),
    )


def _call_times(connection: OrganizationIntegration, window: tuple[int, int] | None) -> list[float]:
    """How long the connection's HubSpot calls recorded ``window`` (ms, wall clock) took, ms."""
    if window is None:
        return []
    start, end = (datetime.fromtimestamp(ms / 1000, tz=UTC) for ms in window)
    calls = ProviderApiCall.objects.filter(
        provider=connection.provider, account=connection.external_account_id, created_at__range=(start, end)
    )
    return sorted(float(ms) for ms in calls.values_list("latency_ms", flat=True))


def _created_between(
    sandbox: RunningSandbox, portal_id: int, ids: Sequence[str], between: tuple[int, int]
) -> list[str]:
    """The leads of ``ids`` created ``between`` (ms): B's leads during A's drain."""
    leads = crm_leads(sandbox, portal_id, ids)
    return [lead_id for lead_id, lead in leads.items() if _created_in(lead, between)]


def _created_in(lead: CrmLead, between: tuple[int, int] | None) -> bool:
    return between is None or between[0] <= lead.created_ms <= between[1]


#: A's burst is seeded this many leads a control call. The sandbox holds one lock for all its portals
#: while it seeds: 3,000 leads at once held it about 1.2 s, and B's reads waited for it (one read took
#: 1.1 s in a traced run). HubSpot's portals share no such lock, so that wait was the stand-in's.
SEED_CHUNK = 100


def _seed_burst(sandbox: RunningSandbox, count: int) -> list[str]:
    """A's ``count`` new leads, created back to back in chunks of ``SEED_CHUNK``; their ids."""
    ids: list[str] = []
    for start in range(0, count, SEED_CHUNK):
        size = min(SEED_CHUNK, count - start)
        seeded = sandbox.control.seed_leads(size, portal_id=PORTAL_A, fresh=True, unowned=True)
        ids += [str(number) for number in range(int(seeded["firstId"]), int(seeded["lastId"]) + 1)]
    return ids


def _wait_for_clear_window(connection: OrganizationIntegration) -> None:
    """Until the connection's account has made no API call for a whole budget window (our limiter's
    and the sandbox's both slide over the last ``BUDGET_WINDOW`` seconds), so a burst starts on an
    unspent budget, whichever phase came before it."""
    last = (
        ProviderApiCall.objects.filter(provider=connection.provider, account=connection.external_account_id)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None:
        time.sleep(max(0.0, last.timestamp() + BUDGET_WINDOW + 0.5 - time.time()))


def _latencies(
    sandbox: RunningSandbox, portal_id: int, ids: Sequence[str], *, between: tuple[int, int] | None = None
) -> list[float]:
    """Created -> owner written at the CRM, seconds, of the leads created ``between`` (ms) if given."""
    leads = crm_leads(sandbox, portal_id, ids).values()
    return sorted(
        (lead.owner_written_ms - lead.created_ms) / 1000
        for lead in leads
        if lead.owner_written_ms is not None and _created_in(lead, between)
    )


def _wait_owned(
    sandbox: RunningSandbox,
    portal_id: int,
    connection: OrganizationIntegration,
    ids: Sequence[str],
    options: FairnessOptions,
) -> int:
    """Until every lead has an owner at the CRM or was decided without a rep; how many have not."""
    count = owned_then_unroutable(
        lambda: owned_count(sandbox, portal_id, ids), lambda: unroutable_count(connection)
    )
    wait_for_count(
        count, len(ids), timeout=options.timeout, stall_seconds=options.stall_seconds, progress=False
    )
    return max(0, len(ids) - count())


def _settle_both(
    sandbox: RunningSandbox,
    connections: Sequence[OrganizationIntegration],
    since: datetime,
    options: FairnessOptions,
) -> None:
    """Until the sandbox has nothing to send and neither organization's pipeline has work left."""
    settle(
        sandbox.control.wait_for_deliveries,
        lambda: any(app_busy(connection, since) for connection in connections),
        options.settle_seconds,
    )
