"""The worker-scaling benchmark at a small size: two runs (1 and 2 Celery processes) of a burst on
the test database, each verified (no double assignment, no rep over capacity, the rotation intact)
and its drain's CPU split by process group; never checked for timings."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from devtools.benchmarks.routing.scaling import Drain, ScalingOptions, ScalingRun, run_scaling, tight_capacity
from devtools.benchmarks.routing.scaling_checks import Checks, rotation_breaks
from devtools.benchmarks.routing.scaling_report import (
    cores_busy,
    correctness_failures,
    predicted_leads_per_second,
    report_lines,
)

BURST = 24


@pytest.mark.django_db(transaction=True)
def test_each_worker_count_drains_the_burst_without_double_assignments(catalogue):
    options = ScalingOptions(
        leads=BURST, workers_list=(1, 2), api_limit=100_000, fresh_db=False, progress=False, timeout=90
    )

    report = run_scaling(options)

    assert [run.workers for run in report.runs] == [1, 2]
    for run in report.runs:
        assert run.drain.owned == BURST and run.drain.seconds > 0
        assert run.checks.leads == BURST and run.checks.ok
        assert run.checks.rotation_checked == BURST  # every decision replayed through the engine
        assert run.failures == 0
        # Sampled five times a second: a few dozen leads keep the workers busy long enough to show,
        # while gunicorn's and the sandbox's share of so short a drain may fall between two samples.
        assert run.cpu["worker"] > 0 and min(run.cpu["web"], run.cpu["sandbox"]) >= 0
        if connection.vendor == "sqlite":
            assert run.cpu["database"] == 0  # the database's work is in the app's processes
    assert correctness_failures(report) == 0
    text = "\n".join(report_lines(report))
    assert "2 workers vs 1:" in text and ("PASS" in text or "MISS" in text)
    assert "cost per lead (CPU-ms, the 1-worker run)" in text
    assert f"beyond {report.cpus} worker processes on these {report.cpus} cores" in text


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs DATABASE_URL on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_database_backends_are_counted(catalogue):
    options = ScalingOptions(
        leads=BURST, workers_list=(2,), api_limit=100_000, fresh_db=False, progress=False, timeout=90
    )

    [run] = run_scaling(options).runs

    # The PostgreSQL backends are a process group of their own (a drain of a few dozen leads may
    # fall between two of the five samples a second, so their CPU is not required to show).
    assert run.checks.ok and run.failures == 0 and "database" in run.cpu and run.cpu["database"] >= 0


def test_the_capacity_fits_the_burst_with_no_room_to_overfill():
    assert tight_capacity(24, 5) == 5 and tight_capacity(25, 5) == 5 and tight_capacity(3, 0) == 3


def _trace(*eligible: bool) -> dict:
    return {"candidates": [{"rep_id": str(n), "eligible": ok} for n, ok in enumerate(eligible, start=1)]}


def test_the_rotation_replay_follows_the_engine_and_catches_a_skip():
    everyone = _trace(True, True, True)
    in_order = [("r", rep, everyone) for rep in ("1", "2", "3", "1")]
    assert rotation_breaks(in_order) == 0
    assert rotation_breaks([("r", "1", everyone), ("r", "3", everyone)]) == 1  # rep 2 was skipped
    two_full = _trace(True, False, True)
    assert rotation_breaks([("r", "1", everyone), ("r", "3", two_full)]) == 0  # rep 2 was not eligible


def test_the_command_refuses_a_bad_workers_list():
    with pytest.raises(CommandError, match="--workers-list"):
        call_command("benchmark_worker_scaling", "--workers-list", "1,x", stdout=StringIO())
    with pytest.raises(CommandError, match="--workers-list"):
        call_command("benchmark_worker_scaling", "--workers-list", "0", stdout=StringIO())


def test_the_cost_model_predicts_from_the_cpu_per_lead():
    drain = Drain(start=100.0, end=110.0, owned=1_000)
    checks = Checks(1_000, 0, 0, 0, 1_000, 0)
    cpu = {"web": 1.0, "worker": 3.0, "database": 1.0, "sandbox": 2.0}  # CPU-ms per lead: 1, 3, 1, 2
    run = ScalingRun(1, latency=None, checks=checks, drain=drain, cpu=cpu)  # type: ignore[arg-type]

    together, apart = predicted_leads_per_second(run, 4)

    assert together == pytest.approx(4000 / 5)  # the sandbox stands in for HubSpot: not ours
    assert apart == pytest.approx(4000 / 3)  # the workers are the slowest tier
    assert cores_busy(run) == pytest.approx(0.7)
