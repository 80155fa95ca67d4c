"""The Salesforce routing latency benchmark at a small size: single leads and a small burst through the
real pipeline (a Salesforce sandbox's Outbound Messages and polling from a fast beat, gunicorn, Celery,
routing, the owner written with sObject Collections), checked for consistency and call counts, never
for timings."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.benchmarks.routing.salesforce_latency import SalesforceLatencyOptions, run_benchmark
from devtools.benchmarks.routing.salesforce_latency_report import (
    POLL,
    PUSH,
    Phase,
    SalesforceLatencyReport,
    Setup,
    latency_goal,
    report_lines,
)

SINGLES, BURST = 2, 30


@pytest.mark.django_db(transaction=True)
def test_single_leads_and_a_burst_get_their_owner_written_by_push_and_by_polling(catalogue):
    options = SalesforceLatencyOptions(
        singles=SINGLES,
        burst=BURST,
        interval=0.1,
        poll_interval=1.0,
        fresh_db=False,
        progress=False,
        timeout=90,
        stall_seconds=45,
        settle_seconds=30,
    )

    report = run_benchmark(options)

    assert report.lost == 0
    by_name = dict(report.phases)
    assert list(by_name) == [
        f"{PUSH}: {SINGLES} single leads",
        f"{PUSH}: burst of {BURST}",
        f"{POLL}: {SINGLES} single leads",
        f"{POLL}: burst of {BURST}",
    ]
    for phase in by_name.values():
        assert phase.written == phase.leads and min(phase.latencies) > 0 and phase.settled
        assert phase.writes >= 1 and phase.queries >= 1
    pushed, polled = by_name[f"{PUSH}: burst of {BURST}"], by_name[f"{POLL}: burst of {BURST}"]
    assert pushed.reads_by_id >= 1  # a message is a nudge: the leads are read through the API
    assert polled.reads_by_id == 0  # the feed's records are taken as they are
    assert pushed.writes < BURST and polled.writes < BURST  # owner writes are batched
    text = "\n".join(report_lines(report))
    assert f"{POLL}: burst of {BURST}: created -> owner written" in text
    assert "polling bound: a lead waits up to one poll interval (1 s here" in text
    assert text.count("PASS") + text.count("MISS") == 6  # latency per phase, calls per burst


def phase(**changes) -> Phase:
    base = Phase(
        mode=PUSH,
        leads=4,
        burst=True,
        latencies=(0.2, 0.3, 0.4, 0.6),
        calls=3,
        queries=2,
        reads_by_id=1,
        writes=1,
        written_records=4,
        wall_seconds=2.0,
        settled=True,
    )
    return dataclasses.replace(base, **changes)


def test_polling_goals_add_the_poll_interval():
    assert latency_goal(phase(), burst=False, poll_interval=5) == 0.5
    assert latency_goal(phase(mode=POLL), burst=False, poll_interval=5) == 5.5
    assert latency_goal(phase(mode=POLL), burst=True, poll_interval=5) == 7.0


def test_the_command_prints_the_verdicts_and_fails_on_a_lost_lead(monkeypatch):
    setup = Setup(1, 4, 2, 2, 5.0, "create", "a private filesystem broker", "fresh SQLite file x")
    single = phase(leads=1, burst=False, latencies=(0.7,), calls=2)
    cheap = phase(leads=100, latencies=tuple([0.5] * 100), calls=2)
    reports = iter(
        [
            SalesforceLatencyReport(
                setup, [("outbound: 1 single leads", single), ("outbound: burst of 100", cheap)]
            ),
            SalesforceLatencyReport(setup, [("outbound: burst of 4", phase(latencies=(0.2,)))]),
        ]
    )
    monkeypatch.setattr(
        "devtools.management.commands.benchmark_salesforce_latency.run_benchmark",
        lambda options: next(reports),
    )
    out = StringIO()

    call_command("benchmark_salesforce_latency", "--singles", "1", "--burst", "100", stdout=out)

    lines = out.getvalue().splitlines()
    assert next(line for line in lines if line.startswith("outbound: 1 single leads")).endswith("MISS")
    calls = [line for line in lines if line.startswith("  API calls per routed lead")]
    assert not calls[0].endswith(("PASS", "MISS"))  # a single lead's calls cannot be shared: no goal
    assert calls[1].endswith("PASS") and "0.020" in calls[1]
    with pytest.raises(CommandError, match="3 lead"):
        call_command("benchmark_salesforce_latency", "--burst", "4", stdout=StringIO())
