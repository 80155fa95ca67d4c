"""What tracing costs: the routing latency benchmark (devtools/benchmarks/routing/latency.py) run
with tracing off and on, in one command, one after the other on the same machine and load.

"Off" starts the app's gunicorn and Celery processes with ``OTEL_SDK_DISABLED=true``; "on" with
the embedded default (spans written to the database, crm_integrations/core/tracing/store.py), or
to an OTLP backend when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set. The figure is each lead's time
from creation at the CRM to its owner written there; the goal: tracing on is under 10% slower
(p50 and p95). With ``rounds`` > 1 the modes alternate (off, on, on, off, ...) so a change in the
machine's load weighs on both alike.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from devtools.benchmarks.harness.load import percentile

from .latency import LatencyOptions, run_benchmark

#: The stage timed (devtools/benchmarks/routing/latency_report.py STAGES).
STAGE = "owner written at the CRM"
GOAL_PERCENT = 10.0
MODES = ("off", "on")


@dataclass(frozen=True)
class ModeFigures:
    mode: str
    seconds: Sequence[float]
    lost: int

    @property
    def p50(self) -> float:
        return percentile(self.seconds, 0.5)

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 0.95)


@contextmanager
def tracing_mode(mode: str) -> Iterator[None]:
    """The app processes the benchmark starts inherit this process's environment (harness/web_server.py)."""
    before = os.environ.get("OTEL_SDK_DISABLED")
    os.environ["OTEL_SDK_DISABLED"] = "true" if mode == "off" else "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OTEL_SDK_DISABLED", None)
        else:
            os.environ["OTEL_SDK_DISABLED"] = before


def order(modes: Sequence[str], rounds: int) -> list[str]:
    """off, on / on, off / ...: each round reverses the last (ABBA), so a drift in load is shared."""
    runs: list[str] = []
    for number in range(rounds):
        runs += list(modes) if number % 2 == 0 else list(reversed(modes))
    return runs


def run_modes(options: LatencyOptions, modes: Sequence[str], rounds: int) -> list[ModeFigures]:
    seconds: dict[str, list[float]] = {mode: [] for mode in modes}
    lost = dict.fromkeys(modes, 0)
    for mode in order(modes, rounds):
        with tracing_mode(mode):
            report = run_benchmark(dataclasses.replace(options, progress=False))
        seconds[mode] += list(report.stages.get(STAGE, ()))
        lost[mode] += report.lost
    return [ModeFigures(mode, seconds[mode], lost[mode]) for mode in modes]


def report_lines(figures: Sequence[ModeFigures], options: LatencyOptions) -> list[str]:
    pace = (
        f"{options.rate:g} leads/s for {options.duration:g} s"
        if options.rate > 0
        else f"{options.leads} at once"
    )
    lines = [
        f"Routing latency with tracing off and on ({pace}; creation at the CRM -> owner written there)",
        f"{'tracing':<8} {'leads':>6} {'p50 (ms)':>9} {'p95 (ms)':>9}",
    ]
    lines += [f"{f.mode:<8} {len(f.seconds):>6} {f.p50 * 1000:>9.0f} {f.p95 * 1000:>9.0f}" for f in figures]
    by_mode = {f.mode: f for f in figures}
    if {"off", "on"} <= by_mode.keys() and by_mode["off"].seconds and by_mode["on"].seconds:
        off, on = by_mode["off"], by_mode["on"]
        for name, before, after in (("p50", off.p50, on.p50), ("p95", off.p95, on.p95)):
            change = (after / before - 1) * 100 if before else 0.0
            verdict = "PASS" if change < GOAL_PERCENT else "MISS"
            lines.append(f"tracing cost, {name}: {change:+.1f}% (goal: under +{GOAL_PERCENT:g}%) {verdict}")
    return lines
