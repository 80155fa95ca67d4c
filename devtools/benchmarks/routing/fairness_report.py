"""The fairness benchmark's figures, its goals and the printed table (no Django here)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devtools.benchmarks.harness.load import percentile

#: Organization B's single leads while A's burst drains (issue 15, "No organization waits for another").
B_DURING_P95_GOAL = 1.0
#: A single lead on an idle pipeline (issue 15, "Bursts that fit the budget ...").
B_ALONE_P95_GOAL = 0.5
#: A's drain with B beside it, against alone: "no slower", with a tenth for run-to-run noise.
DRAIN_RATIO_GOAL = 1.1


@dataclass(frozen=True)
class Phase:
    name: str  # "B alone", "A alone", "A with B"
    b_latencies: Sequence[float]  # seconds, created -> owner written at the CRM, B's leads
    b_missing: int  # B's leads never owned (nor decided without a rep)
    b_leads: int
    a_leads: int = 0
    a_missing: int = 0
    a_drain_seconds: float | None = None  # A's first lead created -> its last owner written
    cpu: Mapping[str, float] | None = None  # CPU seconds per process group over ``cpu_seconds``:
    cpu_seconds: float | None = None  # A's drain; B alone: B's first lead created -> last owner written
    cpu_leads: int | None = None  # the leads of that window (B alone: its first ones are left out)
    #: B's leads created during A's drain, stage by stage (latency_report.STEPS): seconds per lead,
    #: and those of the slowest of them (None: a moment unknown), so a run shows where B's p95 went.
    b_steps: Mapping[str, Sequence[float]] = field(default_factory=dict)
    b_slowest: Mapping[str, float | None] = field(default_factory=dict)
    #: How long B's HubSpot calls of the phase's window took, ms as our client timed them (the call
    #: records): against B alone, what sharing the cores with A's burst did to HubSpot's stand-in.
    b_call_ms: Sequence[float] = ()


@dataclass(frozen=True)
class FairnessReport:
    options: Any  # FairnessOptions (fairness.py)
    broker: str
    database: str
    queues: tuple[str, str]  # the account queues of A and B (config/task_routing.py)
    phases: Sequence[Phase]
    cpus: int = 1  # the CPUs the processes share
    idle_cpu: Mapping[str, float] | None = None  # CPU seconds a second per group with nothing to do
    notes: Sequence[str] = field(default_factory=tuple)

    def phase(self, name: str) -> Phase:
        """The phase of that name, or every run of it pooled (``pooled``)."""
        return pooled(self.runs(name))

    def runs(self, name: str) -> list[Phase]:
        return [phase for phase in self.phases if phase.name == name]

    @property
    def lost(self) -> int:
        return sum(phase.a_missing + phase.b_missing for phase in self.phases)

    @property
    def pair_ratios(self) -> list[float]:
        """A's drain with B against alone, within each pair (the burst alone, then with B)."""
        pairs = zip(self.runs("A alone"), self.runs("A with B"), strict=False)
        return [
            beside.a_drain_seconds / alone.a_drain_seconds
            for alone, beside in pairs
            if alone.a_drain_seconds and beside.a_drain_seconds is not None
        ]

    @property
    def drain_ratio(self) -> float | None:
        """The median of the pairs' ratios (one pair: its ratio)."""
        ratios = self.pair_ratios
        return statistics.median(ratios) if ratios else None


def pooled(phases: Sequence[Phase]) -> Phase:
    """Several runs of one phase as one: B's leads, stages and calls together (its p95 is then taken
    over all of them), counts and CPU added up (the busy share and the CPU per lead become the runs'
    weighted means), and the slowest lead's stages those of the run that holds it. A's drain is the
    runs' median (each run's own is in ``FairnessReport.runs``)."""
    if len(phases) == 1:
        return phases[0]
    if not phases:
        raise ValueError("no phase to pool")
    slowest = max(phases, key=lambda phase: max(phase.b_latencies, default=-1.0))
    drains = [phase.a_drain_seconds for phase in phases if phase.a_drain_seconds is not None]
    timed = [phase for phase in phases if phase.cpu and phase.cpu_seconds]
    cpu: Counter[str] = Counter()
    for phase in timed:
        cpu.update(phase.cpu or {})
    steps: dict[str, list[float]] = {}
    for phase in phases:
        for name, values in phase.b_steps.items():
            steps.setdefault(name, []).extend(values)
    return Phase(
        phases[0].name,
        sorted(value for phase in phases for value in phase.b_latencies),
        sum(phase.b_missing for phase in phases),
        sum(phase.b_leads for phase in phases),
        a_leads=phases[0].a_leads,
        a_missing=sum(phase.a_missing for phase in phases),
        a_drain_seconds=statistics.median(drains) if drains else None,
        cpu=dict(cpu) if timed else None,
        cpu_seconds=sum(phase.cpu_seconds or 0.0 for phase in timed) if timed else None,
        cpu_leads=sum(phase.cpu_leads or 0 for phase in timed) if timed else None,
        b_steps=steps,
        b_slowest=slowest.b_slowest,
        b_call_ms=sorted(value for phase in phases for value in phase.b_call_ms),
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _spread(values: Sequence[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):.2f} s  p95 {percentile(values, 0.95):.2f} s  "
        f"max {max(values, default=0):.2f} s  (n={len(values):,})"
    )


def _rows(report: FairnessReport) -> list[tuple[str, str, str, str]]:
    b_alone, both = report.phase("B alone"), report.phase("A with B")
    ratio = report.drain_ratio
    alone_p95, during_p95 = percentile(b_alone.b_latencies, 0.95), percentile(both.b_latencies, 0.95)
    return [
        (
            "B created -> owner written, alone",
            _spread(b_alone.b_latencies),
            f"p95 < {B_ALONE_P95_GOAL:g} s",
            _verdict(bool(b_alone.b_latencies) and alone_p95 < B_ALONE_P95_GOAL),
        ),
        (
            "B created -> owner written, during A's burst",
            _spread(both.b_latencies),
            f"p95 < {B_DURING_P95_GOAL:g} s",
            _verdict(bool(both.b_latencies) and during_p95 < B_DURING_P95_GOAL),
        ),
        *_step_rows(both),
        *_call_rows(b_alone, both),
        ("A's drain alone", _drain(report.runs("A alone")), "", ""),
        (
            "A's drain with B",
            _drain(report.runs("A with B")) + _ratios(report),
            f"<= {DRAIN_RATIO_GOAL:g}x alone",
            _verdict(ratio is not None and ratio <= DRAIN_RATIO_GOAL),
        ),
        *_cpu_rows(report),
        (
            "leads never owned (A / B)",
            f"{sum(p.a_missing for p in report.phases):,} / {sum(p.b_missing for p in report.phases):,}",
            "0",
            _verdict(report.lost == 0),
        ),
    ]


def _step_rows(phase: Phase) -> list[tuple[str, str, str, str]]:
    """Where B's time went during A's drain: each stage's p50 and p95 over B's leads, and the
    slowest lead's (of every pair's: ``pooled``) from the records' timestamps."""
    if not phase.b_steps:
        return []
    rows = [("  stage by stage (p50, p95; the slowest lead)", "", "", "")]
    for name, values in phase.b_steps.items():
        slowest = phase.b_slowest.get(name)
        rows.append(
            (
                f"    {name}",
                f"{percentile(values, 0.5):.3f} s, {percentile(values, 0.95):.3f} s; "
                + ("-" if slowest is None else f"{slowest:.3f} s"),
                "",
                "",
            )
        )
    return rows


def _call_rows(alone: Phase, during: Phase) -> list[tuple[str, str, str, str]]:
    """B's HubSpot calls alone and during A's drain. The sandbox answers both portals from one
    process on the cores A's burst keeps busy; HubSpot serves a portal on machines of its own, so
    what these calls gain during the burst is mostly the stand-in's part of B's stages (our client's
    own wait for a core to read the answer is in it too)."""
    if not during.b_call_ms:
        return []

    def spread(values: Sequence[float]) -> str:
        if not values:
            return "-"
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms (n={len(values):,})"

    return [
        ("  B's HubSpot calls (the sandbox), alone", spread(alone.b_call_ms), "", ""),
        ("  B's HubSpot calls, during A's drain", spread(during.b_call_ms), "", ""),
    ]


#: The process groups of ``harness/cpu_groups``; "ours" is every one but the sandbox (HubSpot's stand-in).
OURS = ("web", "worker", "database")


def busy_share(phase: Phase, cpus: int) -> float | None:
    """The share of the cores busy during the phase's window (every group, the sandbox included: it
    shares them)."""
    if not phase.cpu or not phase.cpu_seconds:
        return None
    return sum(phase.cpu.values()) / (phase.cpu_seconds * cpus)


def cpu_per_lead(phase: Phase, leads: int, idle: Mapping[str, float] | None) -> dict[str, float] | None:
    """CPU ms per lead and group over the phase's window, less what the groups spend with nothing
    to do (``idle``, a second's worth per group) over as long."""
    if not phase.cpu or not phase.cpu_seconds or not leads:
        return None
    idle = idle or {}
    seconds = phase.cpu_seconds
    return {
        group: max(0.0, spent - idle.get(group, 0.0) * seconds) * 1000 / leads
        for group, spent in phase.cpu.items()
    }


def _groups(values: Mapping[str, float], unit: str = "") -> str:
    return ", ".join(f"{group} {value:.2f}{unit}" for group, value in values.items() if value >= 0.005)


def _cpu_rows(report: FairnessReport) -> list[tuple[str, str, str, str]]:
    """The cores busy with nothing to do and during A's drains (B's tasks share what is left), and
    the CPU one lead costs in A's burst and alone in B's (docs/benchmarks.md, "Eleventh pass").
    "Ours" is web, worker and database; the sandbox stands in for HubSpot on the same cores."""
    rows = []
    if report.idle_cpu:
        idle = f"{sum(report.idle_cpu.values()):.2f} of {report.cpus}"
        groups = _groups(report.idle_cpu)
        rows.append(("cores busy with nothing to do", f"{idle}: {groups}" if groups else idle))
    for name, label in (("A alone", "alone"), ("A with B", "with B")):
        phase = report.phase(name)
        share = busy_share(phase, report.cpus)
        if share is None or not phase.cpu or not phase.cpu_seconds:
            continue
        seconds = phase.cpu_seconds
        cores = _groups({group: spent / seconds for group, spent in phase.cpu.items()})
        rows.append(
            (
                f"cores busy during A's drain {label}",
                f"{share * report.cpus:.2f} of {report.cpus} ({share:.0%}): {cores}",
            )
        )
    for name, label in (
        ("A alone", "A's CPU per lead, its burst alone"),
        ("B alone", "B's CPU per lead, one at a time"),
    ):
        phase = report.phase(name)
        spent = cpu_per_lead(phase, phase.cpu_leads or 0, report.idle_cpu)
        if spent is not None:
            ours = sum(spent.get(group, 0.0) for group in OURS)
            mine = {group: value for group, value in spent.items() if group in OURS}
            measured = (
                f"ours {ours:.1f} ms ({_groups(mine, ' ms')}), the sandbox {spent.get('sandbox', 0.0):.1f} ms"
            )
            rows.append((label + (", less idle" if report.idle_cpu else ""), measured))
    return [(figure, measured, "", "") for figure, measured in rows]


def _drain(runs: Sequence[Phase]) -> str:
    """Each run's drain: "14.9 s for 3,000 leads", or "14.9, 15.2 s for 3,000 leads each"."""
    drains = [phase.a_drain_seconds for phase in runs]
    if not runs or None in drains:
        return "nothing owned"
    each = " each" if len(runs) > 1 else ""
    return f"{', '.join(f'{drain:.1f}' for drain in drains)} s for {runs[0].a_leads:,} leads{each}"


def _ratios(report: FairnessReport) -> str:
    """ "  (0.97x alone)", or each pair's and their median: "  (0.97, 1.03x alone; median 1.00x)"."""
    ratios = report.pair_ratios
    if not ratios:
        return ""
    listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    median = f"; median {report.drain_ratio:.2f}x" if len(ratios) > 1 else ""
    return f"  ({listed}x alone{median})"


def report_lines(report: FairnessReport) -> list[str]:
    """The table: figure, measured, goal, verdict."""
    options = report.options
    rows = _rows(report)
    first, width, goal_width = (max(len(row[n]) for row in rows) + 2 for n in range(3))
    pairs = len(report.runs("A with B"))
    lines = [
        f"Fairness: organization A's burst of {options.burst:,} new leads ({pairs} time(s) alone, as many "
        f"with B), organization B one new lead every {options.interval:g} s; two HubSpot portals; "
        f"gunicorn {options.web_workers} workers; Celery "
        f"{options.workers} processes on {report.broker}; {report.database}; account queues: A "
        f"{report.queues[0]}, B {report.queues[1]}",
        f"{'figure':<{first}}{'measured':<{width}}{'goal':<{goal_width}}verdict",
    ]
    lines += [
        f"{name:<{first}}{measured:<{width}}{goal:<{goal_width}}{verdict}".rstrip()
        for name, measured, goal, verdict in rows
    ]
    if report.queues[0] == report.queues[1]:
        lines.append("note: A and B hash onto the same account queue: they share its order")
    return lines + [f"note: {note}" for note in report.notes]
