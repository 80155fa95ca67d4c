"""Worker-scaling benchmark: the routing latency benchmark's burst (devtools/benchmarks/routing/
latency.py) with HubSpot's API budget lifted, run once per Celery worker count, so that the drain
measures our own pipeline and how it grows with worker processes.

Each run is a whole latency run (sandbox, gunicorn, Celery with N processes, the configured or a
fresh database, the same broker) with two hooks: before the app starts, every rep gets a tight
capacity (the burst shared evenly, so an overfill would show); after the figures are read back,
the burst is verified (``scaling_checks``) and the CPU each process group (``harness/cpu_groups``)
spent between the first lead created and the last owner written at the CRM is taken. The drain
window and the leads per second come from the sandbox's own timestamps.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection as db

from crm_integrations.models import OrganizationIntegration
from devtools.benchmarks.harness.cpu_groups import GROUPS, CpuSampler, database_to_sample, sampling
from devtools.benchmarks.routing.latency import PORTAL, LatencyOptions, run_benchmark
from devtools.benchmarks.routing.latency_measure import crm_leads
from devtools.benchmarks.routing.latency_report import LatencyReport
from devtools.benchmarks.routing.scaling_checks import Checks, check_burst
from devtools.sandboxes.hubspot import RunningSandbox
from routing.models import Rep

#: A budget no burst reaches: the pipeline, not HubSpot, is the bound.
LIFTED_API_LIMIT = 100_000


@dataclass(frozen=True)
class ScalingOptions:
    leads: int = 5_000
    workers_list: tuple[int, ...] = (1, 2, 4)
    web_workers: int = 2
    senders: int = 10
    api_limit: int = LIFTED_API_LIMIT
    broker_url: str | None = None
    fresh_db: bool = True
    #: gunicorn (and the sandbox) on the first half of the CPUs, Celery on the other half.
    separate_cpus: bool = False
    keep: bool = False
    timeout: float = 900.0
    progress: bool = True

    def latency_options(self, workers: int) -> LatencyOptions:
        return LatencyOptions(
            leads=self.leads,
            web_workers=self.web_workers,
            workers=workers,
            senders=self.senders,
            broker_url=self.broker_url,
            api_limit=self.api_limit,
            fresh_db=self.fresh_db,
            keep=self.keep,
            timeout=self.timeout,
            progress=self.progress,
        )


@dataclass(frozen=True)
class Drain:
    """The stretch from the first lead created to the last owner written, by the sandbox's clock."""

    start: float  # wall time, seconds
    end: float
    owned: int

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def leads_per_second(self) -> float:
        return self.owned / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class ScalingRun:
    workers: int
    latency: LatencyReport
    checks: Checks
    drain: Drain
    cpu: dict[str, float]  # CPU seconds per group during the drain

    def cpu_ms_per_lead(self, group: str) -> float:
        return 1000 * self.cpu[group] / self.drain.owned if self.drain.owned else 0.0

    @property
    def failures(self) -> int:
        return self.latency.failures


@dataclass(frozen=True)
class ScalingReport:
    options: ScalingOptions
    database: str  # "sqlite" or "postgresql"
    cpus: int
    runs: Sequence[ScalingRun] = field(default_factory=tuple)


@dataclass
class _Hooks:
    """The two hooks of one run (``latency.BurstHooks``): the reps' capacity, then what was verified."""

    leads: int
    capacity: int | None = None
    checks: Checks | None = None
    drain: Drain | None = None

    def prepared(self, connection: OrganizationIntegration) -> None:
        reps = Rep.objects.filter(organization_id=connection.organization_id, active=True)
        self.capacity = tight_capacity(self.leads, reps.count())
        reps.update(capacity=self.capacity)

    def drained(
        self, sandbox: RunningSandbox, connection: OrganizationIntegration, ids: Sequence[str]
    ) -> None:
        self.checks = check_burst(sandbox, connection, ids)
        leads = crm_leads(sandbox, PORTAL, ids).values()
        written = [lead.owner_written_ms for lead in leads if lead.owner_written_ms is not None]
        start = min((lead.created_ms for lead in leads), default=0) / 1000
        self.drain = Drain(start, max(written, default=start * 1000) / 1000, len(written))


def tight_capacity(leads: int, reps: int) -> int:
    """Each rep's share of the burst, rounded up: the burst fits, with no room to overfill."""
    return max(1, math.ceil(leads / max(1, reps)))


def pinning(separate: bool) -> dict[str, set[int]] | None:
    """gunicorn and the sandbox on the first half of the CPUs, Celery on the rest."""
    if not separate:
        return None
    cpus = sorted(os.sched_getaffinity(0))
    half = max(1, len(cpus) // 2)
    return {"web": set(cpus[:half]), "worker": set(cpus[half:] or cpus)}


def run_scaling(options: ScalingOptions) -> ScalingReport:
    database = database_to_sample(options.fresh_db)
    runs = []
    for workers in options.workers_list:
        with sampling(database, pin=pinning(options.separate_cpus)) as sampler:
            hooks = _Hooks(leads=options.leads)
            latency = run_benchmark(options.latency_options(workers), hooks)
        if hooks.checks is None or hooks.drain is None:  # the run ended before its burst was read back
            raise RuntimeError("The latency run did not reach its drained hook.")
        runs.append(ScalingRun(workers, latency, hooks.checks, hooks.drain, _drain_cpu(sampler, hooks.drain)))
        time.sleep(1)  # the last run's processes gone before the next is sampled
    vendor = "sqlite" if options.fresh_db else db.vendor
    return ScalingReport(options, vendor, len(os.sched_getaffinity(0)), tuple(runs))


def _drain_cpu(sampler: CpuSampler, drain: Drain) -> dict[str, float]:
    spent = sampler.cpu_between(drain.start, drain.end)
    return {group: spent[group] for group in GROUPS}
