"""The monday routing latency benchmark's figures, goals and table (no Django here).

Goals, as HubSpot's (docs/benchmarks.md): a single item's person column written within p95 0.5 s.
A burst is bounded by monday's complexity budget, not by calls: an app token may spend 5,000,000
points a minute (reads and writes; the app's limiter keeps to ``MONDAY_RATE_LIMIT``), so a burst
costing C points per item cannot drain faster than ``items * C / 5,000,000`` minutes. The burst's
goal is p95 < 1 s when that floor is below a second, else a drain within 1.1 times the floor
(the ratio HubSpot's budget-bound burst reached).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from devtools.benchmarks.harness.load import percentile

SINGLE_P95_GOAL = 0.5
BURST_P95_GOAL = 1.0
BUDGET_RATIO_GOAL = 1.1


@dataclass(frozen=True)
class Setup:
    singles: int
    burst: int
    web_workers: int
    workers: int
    senders: int
    broker: str
    database: str
    budget: tuple[int, int]  # (complexity points, seconds) the app keeps to


@dataclass(frozen=True)
class Phase:
    items: int
    latencies: Sequence[float]  # seconds, created -> person column written, per item written
    calls: int  # GraphQL calls the sandbox answered
    mutations: int  # ... of which mutations (owner writes)
    complexity: int  # points they cost
    mutation_complexity: int
    throttled: int  # answered 429
    recorded_calls: int  # our call records meanwhile
    wall_seconds: float  # created -> settled
    settled: bool

    @property
    def written(self) -> int:
        return len(self.latencies)

    @property
    def lost(self) -> int:
        return self.items - self.written

    def per_item(self, value: int) -> float:
        return value / self.items if self.items else 0.0

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 0.95)

    @property
    def drain_seconds(self) -> float:
        return max(self.latencies, default=0.0)


@dataclass(frozen=True)
class MondayLatencyReport:
    setup: Setup
    singles: Phase
    burst: Phase | None
    notes: Sequence[str] = field(default_factory=tuple)

    @property
    def lost(self) -> int:
        return self.singles.lost + (self.burst.lost if self.burst else 0)


def budget_floor_seconds(phase: Phase, budget: tuple[int, int]) -> float:
    """The least time monday's complexity budget allows for ``phase``'s points."""
    points, seconds = budget
    return phase.complexity / points * seconds if points else 0.0


def burst_goal(phase: Phase, budget: tuple[int, int]) -> tuple[str, bool]:
    floor = budget_floor_seconds(phase, budget)
    if floor < BURST_P95_GOAL:
        return f"p95 < {BURST_P95_GOAL:g} s", phase.lost == 0 and phase.p95 < BURST_P95_GOAL
    bound = floor * BUDGET_RATIO_GOAL
    return f"drain <= {bound:.1f} s (1.1 x budget)", phase.lost == 0 and phase.drain_seconds <= bound


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _latency(phase: Phase) -> str:
    values = phase.latencies
    return (
        f"p50 {percentile(values, 0.5):.2f} s  p95 {phase.p95:.2f} s  max {max(values, default=0):.2f} s  "
        f"({phase.written:,}/{phase.items:,} written)"
    )


def _phase_rows(name: str, phase: Phase, goal: str, ok: bool) -> list[tuple[str, str, str, str]]:
    per_item = (
        f"{phase.per_item(phase.calls):.3f} calls ({phase.per_item(phase.mutations):.3f} mutations), "
        f"{phase.per_item(phase.complexity):,.0f} points ({phase.per_item(phase.mutation_complexity):,.0f} "
        "in mutations)"
    )
    settled = f"{phase.wall_seconds:.1f} s" + ("" if phase.settled else " (gave up waiting)")
    return [
        (f"{name}: created -> person column written", _latency(phase), goal, _verdict(ok)),
        ("  per item", per_item, "", ""),
        (
            "  calls / points in all",
            f"{phase.calls:,} / {phase.complexity:,} (429: {phase.throttled}; our call records "
            f"{phase.recorded_calls:,})",
            "",
            "",
        ),
        ("  until settled (echoes too)", settled, "", ""),
    ]


def report_lines(report: MondayLatencyReport) -> list[str]:
    setup = report.setup
    points, seconds = setup.budget
    single_ok = report.singles.lost == 0 and report.singles.p95 < SINGLE_P95_GOAL
    rows = _phase_rows(
        f"{setup.singles} single items", report.singles, f"p95 < {SINGLE_P95_GOAL:g} s", single_ok
    )
    if report.burst is not None:
        goal, ok = burst_goal(report.burst, setup.budget)
        rows += _phase_rows(f"burst of {setup.burst:,}", report.burst, goal, ok)
        floor = budget_floor_seconds(report.burst, setup.budget)
        rows.append(
            ("  complexity budget floor", f"{floor:.2f} s for {report.burst.complexity:,} points", "", "")
        )
    first, width, goal_width = (max(len(row[n]) for row in rows) + 2 for n in range(3))
    lines = [
        f"monday routing latency: {setup.singles} single items, then {setup.burst:,} at once "
        f"({setup.senders} creators); gunicorn {setup.web_workers} workers; Celery {setup.workers} processes "
        f"on {setup.broker}; complexity budget {points:,} points / {seconds} s; {setup.database}",
        f"{'figure':<{first}}{'measured':<{width}}{'goal':<{goal_width}}verdict",
    ]
    lines += [
        f"{name:<{first}}{measured:<{width}}{goal:<{goal_width}}{verdict}".rstrip()
        for name, measured, goal, verdict in rows
    ]
    return lines + [f"note: {note}" for note in report.notes]
