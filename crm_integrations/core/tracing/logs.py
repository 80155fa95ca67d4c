"""Every log line carries the trace id of the span it was written in ("-" outside any trace).

A filter on the console handler (config/settings' LOGGING), so the id sits in our own format and
a log line can be looked up in Jaeger/Tempo, or on a lead's journey waterfall, by that id.
"""

from __future__ import annotations

import logging

from opentelemetry import trace
from opentelemetry.trace import format_trace_id


class TraceIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = format_trace_id(context.trace_id) if context.is_valid else "-"
        return True
