"""The fairness benchmark at a small size: two organizations through the real pipeline (sandbox
webhooks for two portals, gunicorn, a Celery worker), checked for completeness, never for timings."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from crm_integrations.models import ProviderApiCall
from devtools.benchmarks.harness.load import percentile
from devtools.benchmarks.routing import fairness
from devtools.benchmarks.routing.fairness import FairnessOptions, run_benchmark
from devtools.benchmarks.routing.fairness_report import FairnessReport, Phase, busy_share, report_lines
from devtools.benchmarks.routing.latency_measure import slowest_steps, steps_of
from devtools.benchmarks.routing.latency_report import STEPS

BURST, ALONE = 40, 2


@pytest.mark.django_db(transaction=True)
def test_both_organizations_leads_are_owned_and_every_goal_is_reported(catalogue):
    options = FairnessOptions(
        burst=BURST,
        pairs=1,
        interval=0.5,
        alone_leads=ALONE,
        api_limit=220,
        fresh_db=False,
        timeout=90,
        stall_seconds=45,
        settle_seconds=30,
    )

    report = run_benchmark(options)

    assert report.lost == 0
    b_alone, a_alone, both = (report.phase(name) for name in ("B alone", "A alone", "A with B"))
    assert b_alone.b_leads == len(b_alone.b_latencies) == ALONE
    assert a_alone.a_leads == both.a_leads == BURST and a_alone.b_leads == 0
    assert both.b_leads >= 2 and both.b_latencies  # B ran beside A's burst
    assert a_alone.a_drain_seconds and both.a_drain_seconds and report.drain_ratio
    assert all(value >= 0 for phase in report.phases for value in phase.b_latencies)
    assert report.queues[0].startswith("account-") and report.queues[1].startswith("account-")
    for phase in (b_alone, a_alone, both):  # the sampler found the Celery processes at work
        assert phase.cpu and phase.cpu["worker"] > 0 and phase.cpu_seconds and phase.cpu_leads
        assert (busy_share(phase, report.cpus) or 0) > 0
    assert b_alone.cpu_leads == ALONE  # too few to leave the first ones out (fairness.WARM_LEADS)
    assert a_alone.cpu_leads == both.cpu_leads == BURST
    assert report.cpus >= 1 and report.idle_cpu is not None
    assert report.idle_cpu["worker"] < both.cpu["worker"] / both.cpu_seconds  # idle is less than busy
    text = "\n".join(report_lines(report))
    for figure in (
        "B created -> owner written, alone",
        "during A's burst",
        "A's drain with B",
        "cores busy during A's drain alone",
        "cores busy during A's drain with B",
        "cores busy with nothing to do",
        "A's CPU per lead, its burst alone, less idle",
        "B's CPU per lead, one at a time, less idle",
    ):
        assert figure in text
    assert text.count("PASS") + text.count("MISS") == 4
    # where B's time went, from our records and the sandbox's: every stage of every lead shown
    assert list(both.b_steps) == list(STEPS) and list(both.b_slowest) == list(STEPS)
    assert all(len(values) == len(both.b_latencies) for values in both.b_steps.values())
    *ours, last = both.b_slowest.values()
    assert all(value is not None and value >= 0 for value in ours)
    assert last is not None  # negative when our record is stamped after the CRM applied the write
    assert sum(both.b_slowest.values()) == pytest.approx(max(both.b_latencies), abs=0.002)
    assert "stage by stage" in text and "    lead stored -> decided" in text
    # B's HubSpot calls in each of its windows: at least a lead's reads and its owner's write
    assert len(b_alone.b_call_ms) >= 2 and len(both.b_call_ms) >= 2 and not a_alone.b_call_ms
    assert "B's HubSpot calls (the sandbox), alone" in text and "B's HubSpot calls, during A's drain" in text


def test_the_report_gives_the_cores_busy_and_the_cpu_of_a_lead_less_idle():
    """1.5 CPU-s a second on 2 cores is 75% busy. A alone spent 10 CPU-s over 10 s, 1 of them the
    workers' idle 0.1 a second: 9 ms for each of its 1,000 leads, 8 of them ours. B: 2 CPU-s over
    10 s, less 1 idle, for the 10 leads of that window: 100 ms a lead, 80 of them ours."""
    report = FairnessReport(
        options=FairnessOptions(burst=1_000),
        broker="a broker",
        database="a database",
        queues=("account-1", "account-2"),
        phases=(
            Phase(
                "B alone",
                [0.2, 0.25, 0.3],
                0,
                12,
                cpu={"web": 0.2, "worker": 1.6, "sandbox": 0.2},
                cpu_seconds=10.0,
                cpu_leads=10,  # its first two left out
            ),
            Phase(
                "A alone",
                [],
                0,
                0,
                a_leads=1_000,
                a_drain_seconds=10.0,
                cpu={"web": 2.0, "worker": 7.0, "sandbox": 1.0},
                cpu_seconds=10.0,
                cpu_leads=1_000,
            ),
            Phase(
                "A with B",
                [0.9, 1.1, 1.3],
                0,
                3,
                a_leads=1_000,
                a_drain_seconds=10.0,
                cpu={"web": 3.0, "worker": 9.0, "database": 0.0, "sandbox": 3.0},
                cpu_seconds=10.0,
                cpu_leads=1_000,
            ),
        ),
        cpus=2,
        idle_cpu={"web": 0.0, "worker": 0.1, "database": 0.0, "sandbox": 0.0},
    )

    assert busy_share(report.phase("A alone"), 2) == pytest.approx(0.5)
    assert busy_share(report.phase("A with B"), 2) == pytest.approx(0.75)
    lines = {line.split("  ")[0]: line for line in report_lines(report)}
    assert "0.10 of 2: worker 0.10" in lines["cores busy with nothing to do"]
    assert (
        "1.00 of 2 (50%): web 0.20, worker 0.70, sandbox 0.10" in lines["cores busy during A's drain alone"]
    )
    assert (
        "1.50 of 2 (75%): web 0.30, worker 0.90, sandbox 0.30" in lines["cores busy during A's drain with B"]
    )
    assert "database" not in lines["cores busy during A's drain with B"]  # no time spent: not listed
    a_lead = lines["A's CPU per lead, its burst alone, less idle"]
    assert "ours 8.0 ms (web 2.00 ms, worker 6.00 ms), the sandbox 1.0 ms" in a_lead
    b_lead = lines["B's CPU per lead, one at a time, less idle"]
    assert "ours 80.0 ms (web 20.00 ms, worker 60.00 ms), the sandbox 20.0 ms" in b_lead


def test_no_cpu_rows_without_samples():
    """A drain the sampler did not see (nothing owned) is not reported as 0% busy."""
    phases = (Phase("B alone", [0.2], 0, 1), Phase("A alone", [], 0, 0), Phase("A with B", [0.5], 0, 1))
    report = FairnessReport(FairnessOptions(), "broker", "database", ("account-1", "account-2"), phases)

    text = "\n".join(report_lines(report))

    assert "cores busy" not in text and "CPU per lead" not in text
    quiet = FairnessReport(
        FairnessOptions(),
        "broker",
        "database",
        ("account-1", "account-2"),
        phases,
        idle_cpu={"worker": 0.001},
    )
    [idle] = [line for line in report_lines(quiet) if line.startswith("cores busy with nothing to do")]
    assert idle.endswith(" 0.00 of 1")  # no group above 0.005 cores: none listed


@pytest.mark.django_db
def test_a_burst_waits_until_the_accounts_budget_window_has_no_call(monkeypatch):
    """The burst with B must not start on a budget the burst alone left half spent."""
    slept: list[float] = []
    monkeypatch.setattr(fairness.time, "sleep", slept.append)
    a = SimpleNamespace(provider="hubspot", external_account_id=str(fairness.PORTAL_A))
    fairness._wait_for_clear_window(a)  # no call yet: nothing to wait for
    assert slept == []

    def called(seconds_ago: float, account: str = a.external_account_id) -> None:
        moment = timezone.now() - timedelta(seconds=seconds_ago)
        ProviderApiCall.objects.create(
            provider="hubspot", account=account, method="POST", endpoint="/x", created_at=moment
        )

    called(30)
    called(3)
    called(0, account=str(fairness.PORTAL_B))  # B's portal has a budget of its own
    fairness._wait_for_clear_window(a)
    assert fairness.BUDGET_WINDOW - 3 < slept[-1] <= fairness.BUDGET_WINDOW - 3 + 0.6


@pytest.mark.django_db
def test_b_s_call_times_are_its_accounts_calls_recorded_in_the_window():
    """Only B's account's calls count, and only those recorded within the window (ms, wall)."""
    b = SimpleNamespace(provider="hubspot", external_account_id=str(fairness.PORTAL_B))
    now = timezone.now()

    def called(seconds_ago: float, latency_ms: int, account: str = b.external_account_id) -> None:
        ProviderApiCall.objects.create(
            provider="hubspot",
            account=account,
            method="POST",
            endpoint="/x",
            latency_ms=latency_ms,
            created_at=now - timedelta(seconds=seconds_ago),
        )

    called(20, 900)  # before the window
    called(5, 300)
    called(4, 20)
    called(4, 700, account=str(fairness.PORTAL_A))  # A's
    window = (round((now.timestamp() - 10) * 1000), round(now.timestamp() * 1000))

    assert fairness._call_times(b, window) == [20.0, 300.0]
    assert fairness._call_times(b, None) == []


def test_the_report_sets_b_s_calls_during_a_s_drain_beside_alone():
    phases = (
        Phase("B alone", [0.2], 0, 1, b_call_ms=[10.0, 12.0, 30.0]),
        Phase("A alone", [], 0, 0),
        Phase("A with B", [0.5], 0, 1, b_call_ms=[40.0, 60.0, 400.0]),
    )
    report = FairnessReport(FairnessOptions(), "broker", "database", ("account-1", "account-2"), phases)

    lines = {line.split("  ")[1]: line for line in report_lines(report) if "HubSpot calls" in line}

    assert "p50 12 ms, p95 30 ms (n=3)" in lines["B's HubSpot calls (the sandbox), alone"]
    assert "p50 60 ms, p95 400 ms (n=3)" in lines["B's HubSpot calls, during A's drain"]
    quiet = (*phases[:2], Phase("A with B", [0.5], 0, 1))
    text = "\n".join(report_lines(FairnessReport(FairnessOptions(), "b", "d", ("x", "y"), quiet)))
    assert "HubSpot calls" not in text  # no calls recorded: no rows


def test_a_burst_is_seeded_in_chunks_so_the_sandbox_lock_is_let_go_between_them():
    """B's reads must not wait for the sandbox to seed A's whole burst under its one lock."""
    asked: list[int] = []

    class Control:
        next_id = 7000

        def seed_leads(self, count: int, *, portal_id: int, fresh: bool, unowned: bool) -> dict[str, str]:
            assert (portal_id, fresh, unowned) == (fairness.PORTAL_A, True, True)
            asked.append(count)
            first, Control.next_id = Control.next_id, Control.next_id + count + 3  # B's leads in between
            return {"firstId": str(first), "lastId": str(first + count - 1)}

    ids = fairness._seed_burst(SimpleNamespace(control=Control()), 2 * fairness.SEED_CHUNK + 50)

    assert asked == [fairness.SEED_CHUNK, fairness.SEED_CHUNK, 50]
    assert len(ids) == len(set(ids)) == 2 * fairness.SEED_CHUNK + 50
    assert ids[0] == "7000" and str(7000 + fairness.SEED_CHUNK + 3) in ids  # each chunk's own ids


def test_the_slowest_leads_stages_add_up_to_its_latency_and_an_unknown_moment_is_none():
    """Two leads' moments (ms), one map per stage end: lead "2" is the slower (900 ms against 400),
    so its stages are shown; a lead with no owner at the CRM is not a candidate."""
    timeline = (
        {"1": 0, "2": 1_000, "3": 2_000},  # created at the CRM
        {"1": 50, "2": 1_060, "3": 2_050},  # creation event stored
        {"1": 100, "2": 1_560, "3": 2_100},  # lead stored
        {"1": 150, "2": 1_600, "3": None},  # first decided (lead "3" never was)
        {"1": 350, "2": 1_850, "3": None},  # owner written, our record
        {"1": 400, "2": 1_900, "3": None},  # owner written at the CRM
    )

    slowest = slowest_steps(timeline)
    steps = steps_of(timeline)

    assert list(slowest.values()) == pytest.approx([0.06, 0.5, 0.04, 0.25, 0.05])
    assert steps["lead stored -> decided"] == pytest.approx([0.04, 0.05])  # "3" has no decision
    assert steps["created -> webhook stored"] == pytest.approx([0.05, 0.05, 0.06])
    assert slowest_steps((*timeline[:-1], {"1": None, "2": None, "3": None})) == {}
    gap = (*timeline[:3], {"1": 150, "2": None, "3": None}, *timeline[4:])
    assert slowest_steps(gap)["lead stored -> decided"] is None  # a moment unknown: not a guess


def test_the_report_shows_where_b_s_time_went_during_a_s_drain():
    phases = (
        Phase("B alone", [0.2], 0, 1),
        Phase("A alone", [], 0, 0),
        Phase(
            "A with B",
            [0.5, 1.4],
            0,
            2,
            b_steps={name: [0.1, 0.3] for name in STEPS},
            b_slowest={**{name: 0.3 for name in STEPS}, STEPS[2]: None},
        ),
    )
    report = FairnessReport(FairnessOptions(), "broker", "database", ("account-1", "account-2"), phases)

    lines = report_lines(report)

    [row] = [line for line in lines if line.startswith("    webhook stored -> lead stored")]
    assert "0.100 s, 0.300 s; 0.300 s" in row  # p50, p95; the slowest lead's
    [unknown] = [line for line in lines if line.startswith("    lead stored -> decided")]
    assert unknown.rstrip().endswith("; -")


def test_pairs_pool_b_s_leads_for_a_p95_that_is_not_their_maximum_and_take_a_s_median_ratio():
    """Three pairs of 15 leads of B each: one pair's p95 is its slowest lead (nearest rank 15 of 15),
    the pooled p95 of 45 is the third slowest. A's ratio is taken within each pair; its figure is
    their median. CPU is added up, so the busy share is the pairs' weighted mean."""

    def with_b(latencies: list[float], drain: float, slowest_lead: float) -> Phase:
        return Phase(
            "A with B",
            latencies,
            0,
            len(latencies),
            a_leads=3_000,
            a_drain_seconds=drain,
            cpu={"worker": drain},
            cpu_seconds=drain,
            cpu_leads=3_000,
            b_steps={"created -> webhook stored": [0.05] * len(latencies)},
            b_slowest={"created -> webhook stored": slowest_lead},
            b_call_ms=[20.0],
        )

    def alone(drain: float) -> Phase:
        return Phase("A alone", [], 0, 0, a_leads=3_000, a_drain_seconds=drain)

    quick = [0.3] * 14
    phases = (
        Phase("B alone", [0.2], 0, 1),
        alone(10.0),
        with_b([*quick, 2.5], 11.0, 2.4),  # 1.10x
        alone(10.0),
        with_b([*quick, 0.9], 10.0, 0.8),  # 1.00x
        alone(10.0),
        with_b([*quick, 1.2], 13.0, 1.1),  # 1.30x
    )
    report = FairnessReport(FairnessOptions(), "broker", "database", ("account-1", "account-2"), phases)

    both = report.phase("A with B")
    assert len(both.b_latencies) == both.b_leads == 45
    assert max(both.b_latencies) == 2.5 and percentile(both.b_latencies, 0.95) == 0.9
    assert both.b_slowest == {"created -> webhook stored": 2.4}  # the pair holding the slowest lead
    assert len(both.b_steps["created -> webhook stored"]) == 45 and len(both.b_call_ms) == 3
    assert report.pair_ratios == pytest.approx([1.1, 1.0, 1.3])
    assert report.drain_ratio == pytest.approx(1.1)
    assert busy_share(both, 2) == pytest.approx(0.5)  # 34 CPU-s over 34 s of 2 cores
    lines = {line.split("  ")[0]: line for line in report_lines(report)}
    during = lines["B created -> owner written, during A's burst"]
    assert "p95 0.90 s" in during and "max 2.50 s" in during and "(n=45)" in during
    assert during.endswith("PASS")
    assert "10.0, 10.0, 10.0 s for 3,000 leads each" in lines["A's drain alone"]
    drain = lines["A's drain with B"]
    assert "11.0, 10.0, 13.0 s for 3,000 leads each  (1.10, 1.00, 1.30x alone; median 1.10x)" in drain
    assert drain.endswith("PASS")
    assert "(3 time(s) alone, as many with B)" in report_lines(report)[0]
    # one pair: its slowest lead is its p95, as before pooling
    single = FairnessReport(FairnessOptions(pairs=1), "b", "d", ("x", "y"), phases[:3])
    assert percentile(single.phase("A with B").b_latencies, 0.95) == 2.5
    assert single.drain_ratio == pytest.approx(1.1)
