"""The webhook intake benchmark's figures, its goals (from the issue) and the printed table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from devtools.benchmarks.harness.load import Answer, Batch, percentile

from .intake import Tally

P99_GOAL_MS = 100.0  # far inside HubSpot's 5 s timeout
CALLS_PER_LEAD_GOAL = 0.05


@dataclass(frozen=True)
class Report:
    batches: Sequence[Batch]  # every request sent, re-sent batches included
    answers: Sequence[Answer]
    tally: Tally
    sandbox_calls: int  # CRM API requests the sandbox answered while processing
    send_seconds: float
    process_seconds: float

    @property
    def latencies_ms(self) -> list[float]:
        return [answer.seconds * 1000 for answer in self.answers]

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 0.99)

    @property
    def answered_ok(self) -> int:
        return sum(1 for answer in self.answers if answer.status == 200)

    @property
    def events_sent(self) -> int:
        return sum(len(batch.events) for batch in self.batches)

    @property
    def duplicates_sent(self) -> int:
        return sum(len(batch.events) for batch in self.batches if batch.retry_of is not None)

    @property
    def duplicates_detected(self) -> int:
        return self.tally.outcomes.get("duplicate", 0)

    @property
    def distinct_leads(self) -> int:
        return len({event["objectId"] for batch in self.batches for event in batch.events})

    @property
    def lost_events(self) -> int:
        """Events sent that were neither taken in nor recognised as a duplicate."""
        return self.events_sent - self.tally.events_accounted

    @property
    def missing_leads(self) -> int:
        return self.distinct_leads - self.tally.leads_stored

    @property
    def losses(self) -> int:
        return self.lost_events + self.missing_leads

    @property
    def calls_per_lead(self) -> float:
        return self.tally.api_calls / self.tally.leads_stored if self.tally.leads_stored else float("inf")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report_lines(report: Report) -> list[str]:
    """The table: figure, measured, goal, verdict (figures without a goal leave the last two empty)."""
    tally = report.tally
    rows = [
        ("batches answered 200", f"{report.answered_ok:,}/{len(report.answers):,}", "", ""),
        ("answer time p50", f"{report.p50_ms:.1f} ms", "", ""),
        ("answer time p99", f"{report.p99_ms:.1f} ms", f"< {P99_GOAL_MS:.0f} ms",
         _verdict(report.p99_ms < P99_GOAL_MS)),
        ("answer time max", f"{max(report.latencies_ms, default=0):.1f} ms", "", ""),
        ("events sent", f"{report.events_sent:,}", "", ""),
        ("events stored", f"{tally.events_stored:,}", f"{report.events_sent:,}",
         _verdict(tally.events_stored == report.events_sent)),
        ("duplicates detected", f"{report.duplicates_detected:,}", f"= sent {report.duplicates_sent:,}",
         _verdict(report.duplicates_detected == report.duplicates_sent)),
        ("losses (events + leads)", f"{report.lost_events:,} + {report.missing_leads:,}", "0",
         _verdict(report.losses == 0)),
        ("leads taken in", f"{tally.leads_stored:,}/{report.distinct_leads:,}", "", ""),
        ("HubSpot API calls", f"{tally.api_calls:,} (sandbox answered {report.sandbox_calls:,})", "", ""),
        ("API calls per lead", f"{report.calls_per_lead:.4f}", f"<= {CALLS_PER_LEAD_GOAL}",
         _verdict(report.calls_per_lead <= CALLS_PER_LEAD_GOAL)),
        ("event outcomes", ", ".join(f"{n:,} {name}" for name, n in sorted(tally.outcomes.items())), "", ""),
        ("sending / processing", f"{report.send_seconds:.1f} s / {report.process_seconds:.1f} s", "", ""),
    ]  # fmt: skip
    width = max(len(row[1]) for row in rows)
    lines = [f"{'figure':<26}{'measured':<{width + 2}}{'goal':<16}verdict"]
    lines += [
        f"{name:<26}{measured:<{width + 2}}{goal:<16}{verdict}".rstrip()
        for name, measured, goal, verdict in rows
    ]
    return lines
