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
from devtools.benchmarks.routing.latency_report import STAGES, STEPS, LatencyReport, Setup, report_lines

BURST = 30


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_new_leads_is_routed_and_owned_at_the_crm(catalogue):
    options = LatencyOptions(
        leads=BURST,
        api_limit=220,
        api_latency=0.05,  # HubSpot's answers over the internet: the burst is owned all the same
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
    assert "every HubSpot API call answered 0.05 s late" in text
    assert text.count("PASS") + text.count("MISS") == 5
    for step in STEPS:
        assert len(report.steps[step]) == BURST
    assert all(min(report.steps[step]) >= 0 for step in STEPS[:-1])  # the CRM's clock stamps the last
    # Our pipeline's part of the drain: from the first creation webhook stored, after the first lead
    # was created, to the same last owner written.
    assert 0 < report.pipeline_seconds < report.duration_seconds
    [pipeline] = [line for line in text.splitlines() if "first webhook stored -> last written" in line]
    assert f"{report.pipeline_seconds:.1f} s" in pipeline


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
        pipeline_seconds=1.2,
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
    assert "p95 1.50 s" in latency and "p95 < 1 s" in latency and latency.endswith("MISS")  # fits the budget
    calls = next(line for line in lines if line.startswith("API calls per lead, all"))
    assert "2.0000/lead (6)" in calls and "<= 0.055" in calls and calls.endswith("MISS")
    assert any(line.startswith("  lead stored -> decided") for line in lines)


def test_the_goals_follow_the_size_of_the_run():
    def setup(leads: int, rate: float = 0.0) -> Setup:
        return Setup(leads, 2, 2, 10, 0.0, "lead events", "broker", "db", rate=rate, own_limit=100)

    assert (setup(1).p95_goal, setup(1).calls_goal) == (0.5, 6)
    assert (setup(300).p95_goal, setup(300).calls_goal) == (1.0, 0.055)
    assert (setup(5000).p95_goal, setup(5000).calls_goal) == (2.0, 0.05)
    assert (setup(300, rate=20).p95_goal, setup(300, rate=20).calls_goal) == (0.5, 0.5)  # 10 calls/s


def test_the_stage_breakdown_is_printed_from_the_steps(monkeypatch):
    steps = {name: [0.1, 0.2, 0.3] for name in STEPS}
    lines = report_lines(fake_report(steps=steps))
    row = next(line for line in lines if line.startswith("  webhook stored -> lead stored"))
    assert "p50 0.200 s  p95 0.300 s" in row


def test_a_steady_rate_is_passed_as_its_total(monkeypatch):
    seen = []
    monkeypatch.setattr(
        "devtools.management.commands.benchmark_routing_latency.run_benchmark",
        lambda options: seen.append(options) or fake_report(),
    )
    out = StringIO()
    call_command("benchmark_routing_latency", "--rate", "20", "--duration", "15", "--no-progress", stdout=out)
    assert (seen[0].rate, seen[0].total_leads) == (20.0, 300)
    assert "300 new leads at 20 a second" in out.getvalue()


@pytest.mark.parametrize("latency", ["-0.1", "5.5"])
def test_an_api_latency_out_of_range_is_refused(latency):
    with pytest.raises(CommandError, match="--api-latency"):
        call_command("benchmark_routing_latency", "--api-latency", latency, stdout=StringIO())


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


def test_the_drain_with_the_budget_lifted_is_held_to_833_leads_a_second():
    def drain_row(own_limit: int, seconds: float) -> list[str]:
        setup = Setup(5000, 2, 2, 10, 0.0, "lead events", "broker", "db", own_limit=own_limit)
        report = fake_report(
            setup=setup, decided_leads=5000, assigned_leads=5000, owned_at_crm=5000, duration_seconds=seconds
        )
        return [line for line in report_lines(report) if line.startswith("drain, budget lifted")]

    [met] = drain_row(90_909, 5.0)  # --api-limit 100000
    assert "1,000 leads/s" in met and ">= 833/s (5,000 in 6 s)" in met and met.endswith("PASS")
    [missed] = drain_row(90_909, 16.8)
    assert "298 leads/s" in missed and missed.endswith("MISS")
    assert drain_row(100, 5.0) == []  # HubSpot's budget bounds the run: no drain goal
