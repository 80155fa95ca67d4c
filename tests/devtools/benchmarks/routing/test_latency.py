"""The routing latency benchmark: a small burst through the real pipeline (sandbox webhooks, gunicorn,
a Celery worker, routing, batched write-back), checked for consistency, never for timings."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.benchmarks.routing.latency import LatencyOptions, run_benchmark
from devtools.benchmarks.routing.latency_measure import call_category, intake_read_of
from devtools.benchmarks.routing.latency_report import STAGES, LatencyReport, Setup, report_lines

BURST = 30


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_new_leads_is_routed_and_owned_at_the_crm(catalogue):
    options = LatencyOptions(
        leads=BURST,
        api_limit=220,
        fresh_db=False,
        progress=False,
        timeout=60,
        stall_seconds=30,
        settle_seconds=30,
    )

    report = run_benchmark(options)

    assert report.setup.leads == report.leads_taken_in == report.decided_leads == BURST
    assert report.assigned_leads == report.owned_at_crm == report.owner_matches == BURST
    assert report.lost == report.failures == 0 and report.settled
    assert report.sample and all(crm and crm == ours for _, crm, ours in report.sample)
    for stage in STAGES:
        assert len(report.stages[stage]) == BURST and min(report.stages[stage]) >= 0
    assert report.calls["intake reads"] == sum(report.intake_reads.values()) > 0
    assert report.intake_reads["leads"] >= 1 and report.calls["owner write-backs"] >= 1
    assert report.recorded_calls >= report.total_calls > 0
    assert report.events["leads creation"] == BURST
    assert report.events["leads propertyChange hubspot_owner_id"] == BURST  # our writes, echoed
    text = "\n".join(report_lines(report))
    for figure in (
        "owner written at the CRM",
        "p95",
        "API calls per lead, all",
        "API calls per lead, routing",
    ):
        assert figure in text
    assert f"{BURST}/{BURST} assigned" in text
    assert "HubSpot API budget 220 calls / 10 s (the app keeps to 200)" in text
    assert text.count("PASS") + text.count("MISS") == 5


def fake_report(**changes) -> LatencyReport:
    setup = Setup(3, 2, 2, 10, 1.0, "lead events", "a private filesystem broker", "fresh SQLite file x")
    report = LatencyReport(
        setup=setup,
        stages={stage: [0.5, 1.0, 1.5] for stage in STAGES},
        leads_taken_in=3,
        decisions={"assigned": 3},
        decided_leads=3,
        assigned_leads=3,
        writes={"written": 3},
        owned_at_crm=3,
        owner_matches=3,
        sample=[("1", "70000001", "70000001")],
        calls={"intake reads": 5, "owner write-backs": 1},
        intake_reads={
            "leads": 1,
            "leads->contacts": 1,
            "contacts": 1,
            "contacts->companies": 1,
            "companies": 1,
        },
        throttled=0,
        recorded_calls=6,
        recorded_errors={},
        events={"leads creation": 3},
        deliveries=1,
        sandbox_failed_posts=0,
        event_errors=0,
        create_seconds=0.1,
        duration_seconds=1.5,
        wall_seconds=3.0,
        settled=True,
    )
    return dataclasses.replace(report, **changes)


def test_the_command_passes_its_options_and_prints_the_verdicts(monkeypatch):
    seen = []
    monkeypatch.setattr(
        "devtools.management.commands.benchmark_routing_latency.run_benchmark",
        lambda options: seen.append(options) or fake_report(),
    )
    out = StringIO()

    call_command("benchmark_routing_latency", "--leads", "3", "--workers", "1", "--no-progress", stdout=out)

    [options] = seen
    assert (options.leads, options.workers, options.fresh_db, options.progress) == (3, 1, True, False)
    assert options.lead_events_only and options.broker_url is None
    lines = out.getvalue().splitlines()
    latency = next(line for line in lines if line.startswith("owner written at the CRM"))
    assert "p95 1.50 s" in latency and latency.endswith("PASS")
    calls = next(line for line in lines if line.startswith("API calls per lead, all"))
    assert "2.0000/lead (6)" in calls and calls.endswith("MISS")


def test_the_command_fails_when_an_assigned_lead_never_got_its_owner(monkeypatch):
    monkeypatch.setattr(
        "devtools.management.commands.benchmark_routing_latency.run_benchmark",
        lambda options: fake_report(owned_at_crm=2, owner_matches=2),
    )
    with pytest.raises(CommandError, match="1 lead"):
        call_command("benchmark_routing_latency", "--leads", "3", stdout=StringIO())


@pytest.mark.parametrize(
    ("method", "path", "category"),
    [
        ("POST", "/crm/v3/objects/leads/batch/read", "intake reads"),
        ("POST", "/crm/v4/associations/leads/contacts/batch/read", "intake reads"),
        ("POST", "/crm/v3/objects/leads/batch/update", "owner write-backs"),
        ("POST", "/crm/v3/objects/tasks/batch/create", "tasks"),
        ("POST", "/crm/v3/objects/companies/search", "account lookups"),
        ("GET", "/crm/v3/owners", "other"),
    ],
)
def test_calls_are_counted_by_what_they_are_for(method, path, category):
    assert call_category(method, path) == category


def test_intake_reads_are_told_apart_by_what_they_read():
    assert intake_read_of("/crm/v3/objects/contacts/batch/read") == "contacts"
    assert intake_read_of("/crm/v4/associations/leads/companies/batch/read") == "leads->companies"
