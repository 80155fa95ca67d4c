"""The tracing-cost benchmark (devtools/benchmarks/routing/tracing_cost.py): the runs alternate so
a change in load weighs on both modes, each mode's app processes get tracing off or on, and the
report compares them against the goal. Checked for consistency, never for timings."""

from __future__ import annotations

import os
from unittest import mock

from devtools.benchmarks.routing import tracing_cost
from devtools.benchmarks.routing.latency import LatencyOptions
from devtools.benchmarks.routing.tracing_cost import ModeFigures, order, report_lines, run_modes


def test_rounds_alternate_the_order_of_the_modes():
    assert order(("off", "on"), 1) == ["off", "on"]
    assert order(("off", "on"), 2) == ["off", "on", "on", "off"]
    assert order(("on",), 2) == ["on", "on"]


def test_each_run_starts_the_app_with_tracing_off_or_on_and_the_environment_is_restored():
    seen = []

    def fake_run(options):
        seen.append(os.environ.get("OTEL_SDK_DISABLED"))
        report = mock.Mock(lost=0)
        report.stages = {tracing_cost.STAGE: [0.5, 0.7] if seen[-1] == "true" else [0.6, 0.8]}
        return report

    before = os.environ.get("OTEL_SDK_DISABLED")
    with mock.patch.object(tracing_cost, "run_benchmark", fake_run):
        figures = run_modes(LatencyOptions(rate=1, duration=2), ("off", "on"), rounds=2)
    assert seen == ["true", "false", "false", "true"]
    assert os.environ.get("OTEL_SDK_DISABLED") == before
    assert [(f.mode, len(f.seconds)) for f in figures] == [("off", 4), ("on", 4)]


def test_the_report_compares_p50_and_p95_against_the_goal():
    figures = [ModeFigures("off", [1.0] * 18 + [2.0] * 2, 0), ModeFigures("on", [1.05] * 18 + [2.5] * 2, 0)]
    lines = report_lines(figures, LatencyOptions(rate=1, duration=20))
    assert lines[-2] == "tracing cost, p50: +5.0% (goal: under +10%) PASS"
    assert lines[-1] == "tracing cost, p95: +25.0% (goal: under +10%) MISS"
