"""The monday routing latency benchmark at a small size: single items and a small burst through the
real pipeline (a monday sandbox's signed webhooks, gunicorn, Celery, routing, the person column
written), checked for consistency and call counts, never for timings."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.benchmarks.routing.monday_latency import MondayLatencyOptions, run_benchmark
from devtools.benchmarks.routing.monday_latency_report import (
    MondayLatencyReport,
    Phase,
    Setup,
    budget_floor_seconds,
    burst_goal,
    report_lines,
)

SINGLES, BURST = 3, 20


@pytest.mark.django_db(transaction=True)
def test_single_items_and_a_burst_get_their_person_column_written(catalogue):
    options = MondayLatencyOptions(
        singles=SINGLES,
        burst=BURST,
        interval=0.1,
        fresh_db=False,
        progress=False,
        timeout=60,
        stall_seconds=30,
        settle_seconds=30,
    )

    report = run_benchmark(options)

    assert report.lost == 0
    assert (report.singles.items, report.singles.written) == (SINGLES, SINGLES)
    assert report.burst is not None and (report.burst.items, report.burst.written) == (BURST, BURST)
    for phase in (report.singles, report.burst):
        assert min(phase.latencies) > 0 and phase.settled
        assert phase.calls >= phase.mutations >= 1  # reads, then the person columns written
        assert phase.complexity >= phase.mutation_complexity > 0
        assert phase.throttled == 0
    # One item at a time costs 3 calls (read, person column, status); a burst's reads and writes are
    # shared as far as the items arrive while a round runs (an idle pipeline starts on the first).
    assert report.burst.calls < 2 * BURST
    text = "\n".join(report_lines(report))
    assert f"{SINGLES} single items: created -> person column written" in text
    assert f"burst of {BURST}: created -> person column written" in text
    assert "complexity budget floor" in text
    assert text.count("PASS") + text.count("MISS") == 2


def phase(**changes) -> Phase:
    base = Phase(
        items=4,
        latencies=(0.2, 0.3, 0.4, 0.6),
        calls=6,
        mutations=2,
        complexity=40_000,
        mutation_complexity=10_000,
        throttled=0,
        recorded_calls=6,
        wall_seconds=2.0,
        settled=True,
    )
    return dataclasses.replace(base, **changes)


def test_the_burst_goal_follows_the_complexity_budget():
    budget = (5_000_000, 60)
    cheap = phase()  # 40,000 points: 0.48 s of the budget, so the latency goal holds
    assert budget_floor_seconds(cheap, budget) == pytest.approx(0.48)
    assert burst_goal(cheap, budget) == ("p95 < 1 s", True)
    costly = phase(items=2, complexity=10_000_000, latencies=(100.0, 125.0))  # two minutes of budget
    goal, ok = burst_goal(costly, budget)
    assert goal == "drain <= 132.0 s (1.1 x budget)" and ok


def test_the_command_prints_the_verdicts_and_fails_on_a_lost_item(monkeypatch):
    setup = Setup(4, 4, 2, 2, 10, "a private filesystem broker", "fresh SQLite file x", (5_000_000, 60))
    reports = iter(
        [
            MondayLatencyReport(setup, phase(), phase()),
            MondayLatencyReport(setup, phase(), phase(latencies=(0.2,))),
        ]
    )
    monkeypatch.setattr(
        "devtools.management.commands.benchmark_monday_latency.run_benchmark", lambda options: next(reports)
    )
    out = StringIO()

    call_command("benchmark_monday_latency", "--singles", "4", "--burst", "4", stdout=out)

    single = next(line for line in out.getvalue().splitlines() if line.startswith("4 single items"))
    assert "p95 0.60 s" in single and single.endswith("MISS")
    with pytest.raises(CommandError, match="3 item"):
        call_command("benchmark_monday_latency", "--singles", "4", "--burst", "4", stdout=StringIO())
