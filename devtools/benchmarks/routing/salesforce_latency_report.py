"""The Salesforce routing latency benchmark's figures, goals and table (no Django here).

Goals (issue 17; docs/benchmarks.md): created → owner written p95 under 0.5 s for a single lead (the
HubSpot goal) and under 2 s for a burst (HubSpot's), and at most 0.02 API calls per routed lead in a
burst (2,000-record queries and 200-record sObject Collections used fully: 1,000 leads in one query
and five writes would be 0.006). A single lead cannot share its calls (a read and a write: 2 a lead),
so its calls are shown without a goal.

Polling cannot be faster than its interval: a lead waits for the next poll, so its latency goals are
the interval plus the push goals (the bound printed beside them). In production the beat polls each
connection at its own interval, a minute at the least (crm_integrations/intake/tasks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from devtools.benchmarks.harness.load import percentile

SINGLE_P95_GOAL = 0.5
BURST_P95_GOAL = 2.0
CALLS_PER_LEAD_GOAL = 0.02
PUSH, POLL = "outbound", "polling"


@dataclass(frozen=True)
class Setup:
    singles: int
    burst: int
    web_workers: int
    workers: int
    poll_interval: float
    lead_events: str  # which lead changes the sandbox sends Outbound Messages for
    broker: str
    database: str


@dataclass(frozen=True)
class Phase:
    mode: str  # PUSH or POLL
    leads: int
    burst: bool  # created at once (else one at a time, each waited for)
    latencies: Sequence[float]  # seconds, created -> owner written, per lead written
    calls: int  # REST calls the sandbox answered meanwhile
    queries: int  # ... SOQL query pages (the feed, reads by id, owners)
    reads_by_id: int  # ... of which reads by id (``Id IN``)
    writes: int  # ... sObject Collections calls (the owner writes)
    written_records: int  # leads whose owner those writes set
    wall_seconds: float  # created -> settled
    settled: bool

    @property
    def written(self) -> int:
        return len(self.latencies)

    @property
    def lost(self) -> int:
        return self.leads - self.written

    @property
    def per_lead(self) -> float:
        return self.calls / self.written if self.written else float(self.calls)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 0.95)


@dataclass(frozen=True)
class SalesforceLatencyReport:
    setup: Setup
    phases: Sequence[tuple[str, Phase]]  # (name, phase) in the order run
    notes: Sequence[str] = field(default_factory=tuple)

    @property
    def lost(self) -> int:
        return sum(phase.lost for _, phase in self.phases)


def latency_goal(phase: Phase, *, burst: bool, poll_interval: float) -> float:
    """The p95 goal: the push goal, plus the poll interval when polled (the wait for the next poll)."""
    goal = BURST_P95_GOAL if burst else SINGLE_P95_GOAL
    return goal + (poll_interval if phase.mode == POLL else 0.0)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _latency(phase: Phase) -> str:
    values = phase.latencies
    return (
        f"p50 {percentile(values, 0.5):.2f} s  p95 {phase.p95:.2f} s  max {max(values, default=0):.2f} s  "
        f"({phase.written:,}/{phase.leads:,} written)"
    )


def _phase_rows(name: str, phase: Phase, *, burst: bool, poll_interval: float) -> list[tuple[str, ...]]:
    goal = latency_goal(phase, burst=burst, poll_interval=poll_interval)
    goal_text = f"p95 < {goal:g} s" + (
        f" ({poll_interval:g} s interval + {goal - poll_interval:g})" if phase.mode == POLL else ""
    )
    per_write = phase.written_records / phase.writes if phase.writes else 0
    calls = (
        f"{phase.per_lead:.3f} ({phase.calls:,} calls: {phase.queries:,} queries, {phase.reads_by_id:,} of "
        f"them by id; {phase.writes:,} writes of {per_write:.0f})"
    )
    calls_goal, calls_ok = (
        (f"<= {CALLS_PER_LEAD_GOAL:g}", phase.per_lead <= CALLS_PER_LEAD_GOAL) if burst else ("", None)
    )
    settled = f"{phase.wall_seconds:.1f} s" + ("" if phase.settled else " (gave up waiting)")
    return [
        (
            f"{name}: created -> owner written",
            _latency(phase),
            goal_text,
            _verdict(phase.lost == 0 and phase.p95 < goal),
        ),
        ("  API calls per routed lead", calls, calls_goal, "" if calls_ok is None else _verdict(calls_ok)),
        ("  until settled", settled, "", ""),
    ]


def report_lines(report: SalesforceLatencyReport) -> list[str]:
    setup = report.setup
    rows: list[tuple[str, ...]] = []
    for name, phase in report.phases:
        rows += _phase_rows(name, phase, burst=phase.burst, poll_interval=setup.poll_interval)
    first, width, goal_width = (max(len(row[n]) for row in rows) + 2 for n in range(3))
    lines = [
        f"Salesforce routing latency: {setup.singles} single leads, then {setup.burst:,} at once, by "
        f"Outbound Messages (sent on lead {setup.lead_events.replace('_', ' ')}) and by polling every "
        f"{setup.poll_interval:g} s; gunicorn {setup.web_workers} workers; Celery {setup.workers} "
        f"processes on {setup.broker}; {setup.database}",
        f"polling bound: a lead waits up to one poll interval ({setup.poll_interval:g} s here; in "
        "production the connection's poll interval, 1 minute at the least) before it is read: its "
        "goals add the interval",
        f"{'figure':<{first}}{'measured':<{width}}{'goal':<{goal_width}}verdict",
    ]
    lines += [
        f"{name:<{first}}{measured:<{width}}{goal:<{goal_width}}{verdict}".rstrip()
        for name, measured, goal, verdict in rows
    ]
    return lines + [f"note: {note}" for note in report.notes]
