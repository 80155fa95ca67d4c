"""The fairness benchmark at a small size: two organizations through the real pipeline (sandbox
webhooks for two portals, gunicorn, a Celery worker), checked for completeness, never for timings."""

from __future__ import annotations

import pytest

from devtools.benchmarks.routing.fairness import FairnessOptions, run_benchmark
from devtools.benchmarks.routing.fairness_report import report_lines

BURST, ALONE = 40, 2


@pytest.mark.django_db(transaction=True)
def test_both_organizations_leads_are_owned_and_every_goal_is_reported(catalogue):
    options = FairnessOptions(
        burst=BURST,
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
    text = "\n".join(report_lines(report))
    for figure in ("B created -> owner written, alone", "during A's burst", "A's drain with B"):
        assert figure in text
    assert text.count("PASS") + text.count("MISS") == 4
