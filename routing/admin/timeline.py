"""Selectors: a lead's journey as the timeline page shows it — its events in time order, and its
decisions (newest first) with their traces read back into rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from field_mapping.labels import LabelBook
from field_mapping.models import Lead
from field_mapping.selectors import label_book

from ..condition_text import reason_text
from ..models import Decision, JourneyEvent, JourneyKind, OwnerWrite
from ..models.rules import strategy_label
from .display import owner_write_of

#: Event detail keys shown beside the summary, and how.
DETAIL_FACTS = (
    ("latency_ms", "latency {:.0f} ms"),
    ("batch_size", "batch of {}"),
    ("attempt", "attempt {}"),
    ("error", "error: {}"),
)
TONE = {
    JourneyKind.MAPPING_ERROR: "error",
    JourneyKind.WRITE_FAILED: "error",
    JourneyKind.HELD: "warning",
    JourneyKind.NOT_ROUTED: "warning",
    JourneyKind.ROUTED: "success",
    JourneyKind.WRITTEN: "success",
}


@dataclass(frozen=True)
class EventRow:
    event: JourneyEvent
    tone: str
    facts: tuple[str, ...]
    debugger: str  # the webhook debugger, filtered on this lead ("" when it did not come by webhook)


@dataclass(frozen=True)
class RuleRow:
    name: str
    matched: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CandidateRow:
    rep_id: str
    name: str
    eligible: bool
    reason: str
    score: Any
    open_leads: Any
    capacity: Any
    chosen: bool


@dataclass(frozen=True)
class DecisionView:
    decision: Decision
    filters: tuple[dict[str, Any], ...]
    rules: tuple[RuleRow, ...]
    candidates: tuple[CandidateRow, ...]
    account: dict[str, Any] | None
    account_owner: str
    write: OwnerWrite | None
    replaced_at: datetime | None  # when a newer decision took its place

    @property
    def strategy_label(self) -> str:
        return strategy_label(self.decision.strategy)


@dataclass(frozen=True)
class Timeline:
    events: tuple[EventRow, ...]
    decisions: tuple[DecisionView, ...]

    @property
    def current(self) -> DecisionView | None:
        return next((view for view in self.decisions if view.decision.is_current), None)


def timeline(lead: Lead) -> Timeline:
    events = JourneyEvent.objects.filter(lead=lead).order_by("at", "id")
    decisions = list(
        Decision.objects.filter(lead=lead)
        .select_related("rep", "version", "owner_write")
        .order_by("-decided_at", "-id")
    )
    newer = [None, *(d.decided_at for d in decisions[:-1])]
    book = label_book(lead.connection)
    return Timeline(
        events=tuple(_event_row(event) for event in events),
        decisions=tuple(
            _decision_view(d, replaced, book) for d, replaced in zip(decisions, newer, strict=True)
        ),
    )


def _event_row(event: JourneyEvent) -> EventRow:
    detail = event.detail if isinstance(event.detail, dict) else {}
    facts = tuple(
        template.format(detail[key]) for key, template in DETAIL_FACTS if detail.get(key) not in (None, "")
    )
    debugger = str(detail.get("debugger") or "")
    return EventRow(
        event=event,
        tone=TONE.get(event.kind, ""),
        facts=facts,
        debugger=debugger if debugger.startswith("/") else "",
    )


def _decision_view(decision: Decision, replaced_at: datetime | None, book: LabelBook) -> DecisionView:
    trace = decision.trace if isinstance(decision.trace, dict) else {}
    names = trace.get("names") or {}
    chosen = str(trace.get("rep_id") or "")
    account = trace.get("account") or None
    owner = str(account.get("owner_rep_id") or "") if account else ""
    return DecisionView(
        decision=decision,
        filters=tuple(
            {**f, "detail": reason_text(str(f.get("detail", "")), book)} for f in trace.get("filters") or ()
        ),
        rules=tuple(
            RuleRow(
                rule.get("name", ""),
                bool(rule.get("matched")),
                tuple(reason_text(str(reason), book) for reason in rule.get("reasons") or ()),
            )
            for rule in trace.get("rules") or ()
        ),
        candidates=tuple(
            CandidateRow(
                rep_id=str(c.get("rep_id", "")),
                name=names.get(str(c.get("rep_id", "")), str(c.get("rep_id", ""))),
                eligible=bool(c.get("eligible")),
                reason=c.get("reason", ""),
                score=c.get("score"),
                open_leads=c.get("open_leads"),
                capacity=c.get("capacity"),
                chosen=bool(chosen) and str(c.get("rep_id")) == chosen,
            )
            for c in trace.get("candidates") or ()
        ),
        account=account,
        account_owner=names.get(owner, owner) if owner else "",
        write=owner_write_of(decision),
        replaced_at=None if decision.is_current else replaced_at,
    )
