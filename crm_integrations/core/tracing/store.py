"""The embedded default: finished spans written to the database, in batches, off the hot path.

``DatabaseSpanExporter`` sits behind the SDK's ``BatchSpanProcessor`` (setup.py): finished spans
are queued in memory and a background thread of the process writes them every few seconds
(``OTEL_BSP_SCHEDULE_DELAY``, 5 s by default) with one ``bulk_create`` per batch, so a request or a
task pays only for queueing its spans and SQLite sees one short write per process every few
seconds, not one per request. A failed write loses those spans, never the work traced. Rows:
crm_integrations/models/tracing.py; read by waterfall.py; pruned by crm_integrations/retention.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode, format_span_id, format_trace_id

from .attributes import BATCH_SIZE, LEAD, stored

if TYPE_CHECKING:
    from crm_integrations.models import TraceSpan

logger = logging.getLogger(__name__)

_STATUS = {StatusCode.UNSET: "unset", StatusCode.OK: "ok", StatusCode.ERROR: "error"}
_KIND = {
    SpanKind.SERVER: "server",
    SpanKind.CLIENT: "client",
    SpanKind.PRODUCER: "producer",
    SpanKind.CONSUMER: "consumer",
    SpanKind.INTERNAL: "internal",
}


class DatabaseSpanExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        from django.db import connections

        try:
            return SpanExportResult.SUCCESS if write_spans(spans) else SpanExportResult.FAILURE
        finally:
            for connection in connections.all(initialized_only=True):  # this thread's, between batches
                if not connection.in_atomic_block:
                    connection.close()

    def shutdown(self) -> None:
        return None


def write_spans(spans: Sequence[ReadableSpan]) -> bool:
    """Insert ``spans`` and the links of batch spans; a database error is logged (False), never raised.

    Only a batch span's links (to each item's trace) are kept: they are what the waterfall reads,
    finding the batch that carried a lead. A member span's link back to its batch (each lead's
    part of a batch, ``member_span`` in __init__.py) stays on the span for an OTLP backend but is not
    stored: it was nearly every link row (a 5,000-lead burst stored 10,330 links, now 117), and the
    waterfall of the trace hosting a batch showed other leads' parts of it as batches that carried
    this lead."""
    if not spans:
        return True
    from django.db import DatabaseError, transaction

    from crm_integrations.core.row_inserts import insert_all
    from crm_integrations.models import TraceSpanLink

    rows = [_row(span) for span in spans]
    try:
        with transaction.atomic():
            insert_all(rows)
            links = [
                TraceSpanLink(
                    span=row,
                    linked_trace_id=format_trace_id(link.context.trace_id),
                    linked_span_id=format_span_id(link.context.span_id),
                )
                for row, span in zip(rows, spans, strict=True)
                if BATCH_SIZE in row.attributes
                for link in span.links
            ]
            insert_all(links)
    except (DatabaseError, RuntimeError) as error:
        logger.warning("%d span(s) not stored: %s", len(rows), type(error).__name__)
        return False
    return True


def _row(span: ReadableSpan) -> TraceSpan:
    from crm_integrations.models import TraceSpan

    context = span.get_span_context()
    start, end = span.start_time or 0, span.end_time or span.start_time or 0
    attributes = stored(span.attributes)
    lead = attributes.get(LEAD)
    return TraceSpan(
        trace_id=format_trace_id(context.trace_id),
        span_id=format_span_id(context.span_id),
        parent_id=format_span_id(span.parent.span_id) if span.parent else "",
        name=span.name[:200],
        kind=_KIND.get(span.kind, ""),
        started_at=datetime.fromtimestamp(start / 1e9, tz=UTC),
        duration_ms=(end - start) / 1e6,
        status=_STATUS[span.status.status_code],
        attributes=attributes,
        lead_id=lead if isinstance(lead, int) else None,
    )
