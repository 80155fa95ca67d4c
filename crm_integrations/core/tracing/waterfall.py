"""Selector: a lead's trace as a waterfall (the lead journey page, routing/admin/journeys.py).

Reads the spans the database keeps (store.py): the lead's latest trace (found by the ``lead.id``
of its routing spans), plus every batch span in another trace that links to it (an intake or
write-back batch that carried the lead) with what ran inside that batch. Each row: the span in
words, its start offset from the trace's first span, its duration and status, and what kind of
time it was (in the queue, waiting for the rate-limit budget, at the CRM, in our code), so an
admin sees where the time went.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from crm_integrations.models import TraceSpan, TraceSpanLink

from .attributes import ATTEMPT, BATCH_SIZE, DECIDED_AGAIN, ENDPOINT, METHOD, OUTCOME, STATUS

#: Spans shown at most (a lead's trace has a few dozen; a huge batch's CRM calls are cut).
MAX_ROWS = 200

#: A wait for the rate-limit budget shorter than this is left out (the budget was there).
MIN_WAIT_SHOWN_MS = 1.0

#: What each Celery task does, in words (the span names are ``run/<task name>``).
TASK_WORDS = {
    "process_webhook_delivery": "process the webhook delivery",
    "take_in_pending_events": "take in pending webhook events",
    "flush_owner_writes": "write owners back",
    "poll_connection": "poll the CRM for changes",
    "replay_webhook_delivery": "replay a webhook delivery",
}
CATEGORY_WORDS = {"queue": "in the queue", "wait": "waiting for the rate-limit budget", "crm": "at the CRM"}
CATEGORY_WORDS["code"] = "in our code"
STATUS_WORDS = {"ok": "OK", "error": "Failed", "unset": "OK"}


@dataclass(frozen=True)
class WaterfallRow:
    label: str
    depth: int
    offset_ms: float
    duration_ms: float
    status: str
    failed: bool
    category: str
    #: Where the bar starts and how wide it is, in % of the whole trace.
    left: float
    width: float
    #: From a batch in another trace that carried this lead.
    via_batch: bool = False

    @property
    def category_label(self) -> str:
        return CATEGORY_WORDS[self.category]

    @property
    def indent_em(self) -> float:
        return self.depth * 1.2


@dataclass(frozen=True)
class Waterfall:
    trace_id: str
    total_ms: float
    rows: list[WaterfallRow]
    #: Time per kind (queue, wait, crm), the rest being our code, in words for the summary line.
    where: list[tuple[str, float]]

    @property
    def carried(self) -> bool:
        """Whether some rows come from a batch (in another trace) that carried this lead."""
        return any(row.via_batch for row in self.rows)


def lead_waterfall(lead_id: int) -> Waterfall | None:
    """The lead's latest trace (None when none is kept: tracing to an OTLP backend, or pruned)."""
    latest = (
        TraceSpan.objects.filter(lead_id=lead_id).order_by("-started_at").values_list("trace_id", flat=True)
    )
    trace_id = latest.first()
    if trace_id is None:
        return None
    spans = list(TraceSpan.objects.filter(trace_id=trace_id).order_by("started_at")[:MAX_ROWS])
    batches = _linked_batches(trace_id, len(spans))
    return build(trace_id, spans, batches)


def _linked_batches(trace_id: str, shown: int) -> list[TraceSpan]:
    """Batch spans of other traces linking to this one, with the spans run inside them."""
    links = TraceSpanLink.objects.filter(linked_trace_id=trace_id).exclude(span__trace_id=trace_id)
    heads = [link.span for link in links.select_related("span")[:10]]
    found: list[TraceSpan] = []
    for head in heads:
        family = TraceSpan.objects.filter(trace_id=head.trace_id, started_at__gte=head.started_at)
        found += _descendants(head, family.order_by("started_at")[: MAX_ROWS - shown])
    return found


def _descendants(head: TraceSpan, candidates: Iterable[TraceSpan]) -> list[TraceSpan]:
    inside = {head.span_id}
    kept = [head]
    for span in candidates:
        if span.parent_id in inside and span.span_id not in inside:
            inside.add(span.span_id)
            kept.append(span)
    return kept


def build(trace_id: str, spans: list[TraceSpan], batches: list[TraceSpan]) -> Waterfall:
    every = spans + batches
    origin = min(span.started_at for span in every)
    end = max(_offset(span, origin) + span.duration_ms for span in every)
    total = max(end, 0.001)
    borrowed = {span.span_id for span in batches}
    rows = []
    for span, depth in _tree_order(every):
        if span.name == "crm.rate_limit_wait" and span.duration_ms < MIN_WAIT_SHOWN_MS:
            continue  # the budget was there: nothing to see
        rows.append(_row(span, depth, origin, total, via_batch=span.span_id in borrowed))
        queued = _queue_row(span, every, depth, origin, total)
        if queued is not None:
            rows.insert(len(rows) - 1, queued)
    return Waterfall(trace_id=trace_id, total_ms=round(end, 1), rows=rows, where=_where(rows))


def _tree_order(spans: list[TraceSpan]) -> list[tuple[TraceSpan, int]]:
    known = {span.span_id for span in spans}
    children: dict[str, list[TraceSpan]] = defaultdict(list)
    roots = []
    for span in sorted(spans, key=lambda s: s.started_at):
        (children[span.parent_id] if span.parent_id in known else roots).append(span)
    ordered: list[tuple[TraceSpan, int]] = []
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        span, depth = stack.pop()
        ordered.append((span, depth))
        stack += [(child, depth + 1) for child in reversed(children[span.span_id])]
    return ordered


def _offset(span: TraceSpan, origin: object) -> float:
    return (span.started_at - origin).total_seconds() * 1000  # type: ignore[operator]


def _row(
    span: TraceSpan, depth: int, origin: object, total: float, *, via_batch: bool = False
) -> WaterfallRow:
    offset = _offset(span, origin)
    status = STATUS_WORDS.get(span.status, span.status)
    code = span.attributes.get(STATUS)
    if code is not None and span.name == "crm.call":
        status = f"{status} (HTTP {code})"
    return WaterfallRow(
        label=label(span),
        depth=depth,
        offset_ms=round(offset, 1),
        duration_ms=round(span.duration_ms, 1),
        status=status,
        failed=span.status == "error",
        category=category(span),
        left=round(offset / total * 100, 2),
        width=round(max(span.duration_ms / total * 100, 0.4), 2),
        via_batch=via_batch,
    )


def _queue_row(
    span: TraceSpan, spans: list[TraceSpan], depth: int, origin: object, total: float
) -> WaterfallRow | None:
    """A task's wait in the queue: from its publish to the start of its run."""
    if span.kind != "consumer":
        return None
    publish = next((s for s in spans if s.span_id == span.parent_id and s.kind == "producer"), None)
    if publish is None:
        return None
    start = _offset(publish, origin)
    waited = max(_offset(span, origin) - start, 0.0)
    return WaterfallRow(
        label="Waiting in the queue for a worker",
        depth=depth,
        offset_ms=round(start, 1),
        duration_ms=round(waited, 1),
        status="OK",
        failed=False,
        category="queue",
        left=round(start / total * 100, 2),
        width=round(max(waited / total * 100, 0.4), 2),
    )


def category(span: TraceSpan) -> str:
    if span.name == "crm.call":
        return "crm"
    if span.name == "crm.rate_limit_wait":
        return "wait"
    return "code"


def label(span: TraceSpan) -> str:
    """The span in words."""
    attributes = span.attributes
    name = span.name
    if span.kind == "server":
        route = str(attributes.get("http.route", name))
        if route.endswith("/events"):
            return "Webhook received from the CRM"
        if route.endswith("/webhook"):
            return "CRM workflow request received"
        return f"Request received: {name}"
    if name.startswith(("apply_async/", "run/")):
        action, task = name.split("/", 1)
        words = TASK_WORDS.get(task.rsplit(".", 1)[-1], task.rsplit(".", 1)[-1].replace("_", " "))
        return f"Queued a task: {words}" if action == "apply_async" else f"Worker task: {words}"
    if name == "crm.call":
        attempt = attributes.get(ATTEMPT, 1)
        again = f" (attempt {attempt})" if isinstance(attempt, int) and attempt > 1 else ""
        return f"CRM call: {attributes.get(METHOD, '')} {attributes.get(ENDPOINT, '')}{again}"
    size = attributes.get(BATCH_SIZE)
    words = {
        "crm.rate_limit_wait": "Waiting for the CRM's rate-limit budget",
        "intake.batch": f"Intake batch: records read and mapped ({size} in the batch)",
        "routing.decide": (
            "Routing decision made again: another batch was stored meanwhile, the earlier one set aside"
            if attributes.get(DECIDED_AGAIN)
            else "Routing decision: rules, candidates, rep chosen"
        ),
        "routing.writeback": f"Owner write-back batch ({size} in the batch)",
        "routing.owner_written": f"Owner write-back for this lead: {attributes.get(OUTCOME, '')}",
    }
    return words.get(name, name)


def _where(rows: list[WaterfallRow]) -> list[tuple[str, float]]:
    """Time per kind, summed over the rows that are leaves of their kind (queue, wait, CRM)."""
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        if row.category != "code" and not row.via_batch:
            totals[row.category] += row.duration_ms
    totals["crm"] = max(totals["crm"] - totals["wait"], 0.0)  # a call's span includes its wait
    return [(CATEGORY_WORDS[key], round(totals[key], 1)) for key in ("queue", "wait", "crm") if totals[key]]
