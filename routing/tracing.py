"""Routing's spans (crm_integrations/core/tracing/): the decision for each lead, in the lead's own
trace, and the owner write-back batch, linked to every lead's trace it carried, with an "owner
written" span per lead in that lead's trace (so its waterfall ends where its owner was written).

Each owner write keeps its lead's trace context (``OwnerWrite.trace_context``, taken inside the
decision's span by routing/assign.py) because the write-back may run later, in another task."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from crm_integrations.core import tracing
from crm_integrations.core.tracing.attributes import DECIDED_AGAIN, LEAD, OUTCOME
from field_mapping.models import Lead

from .models import OwnerWrite


@contextmanager
def decision_span(lead: Lead, *, again: bool = False) -> Iterator[None]:
    """Routing one lead: a child of the intake batch's item (the lead's webhook trace) if any.
    ``again``: decided again because another batch was stored meanwhile (routing/assign.py); the lead's
    waterfall then says why it shows two decisions (the earlier one was set aside)."""
    attributes = {LEAD: lead.pk, DECIDED_AGAIN: True} if again else {LEAD: lead.pk}
    with tracing.member_span("routing.decide", lead.external_id, attributes):
        yield


@contextmanager
def writeback_span(connection_id: object, rows: Sequence[OwnerWrite]) -> Iterator[None]:
    """One write-back batch; when it is done, each lead's trace gets its "owner written" span
    (the batch's time, its outcome: written, retrying, failed)."""
    started = time.time_ns()
    members = {str(row.pk): row.trace_context for row in rows}
    with tracing.batch_span("routing.writeback", members, tracing.batch_attributes(connection_id, len(rows))):
        yield
        for row in rows:
            attributes = {LEAD: row.decision.lead_id, OUTCOME: str(row.status)}
            with tracing.member_span(
                "routing.owner_written",
                str(row.pk),
                attributes,
                traceparent=row.trace_context,
                start_time=started,
            ):
                pass
