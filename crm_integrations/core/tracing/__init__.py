"""Distributed tracing: the spans the product adds around its own work (OpenTelemetry).

A lead from its webhook to its owner written is one trace: the webhook request (Django
instrumentation), the Celery tasks (Celery instrumentation carries the context in the message
headers), each CRM API call (crm_integrations/core/http/client.py), the intake batch, the routing
decision and the owner write-back. Where several leads share one piece of work (an intake batch,
a write-back batch) the batch's span links to every lead's trace, and the per-lead part of it
(``member_span``) is parented in that lead's own trace, using the context stored with the lead's
webhook event (``WebhookEvent.trace_context``) or its owner write (``OwnerWrite.trace_context``).

Set-up, once per process, is in ``setup.py``; the embedded default keeps spans in the database
(``store.py``), shown as a waterfall on the lead's journey page (``waterfall.py``). Before set-up,
or with ``OTEL_SDK_DISABLED=true``, every helper here costs next to nothing (no-op spans).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanContext, Status, StatusCode, format_span_id, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .attributes import BATCH_SIZE, CONNECTION, AttributeValue

__all__ = [
    "batch_attributes",
    "batch_span",
    "context_of",
    "current_traceparent",
    "member_span",
    "span",
    "tracer",
]

_PROPAGATOR = TraceContextTextMapPropagator()
#: The traceparent of each item of the batch under way (key: the record's id), for ``member_span``.
_NO_MEMBERS: Mapping[str, str] = MappingProxyType({})
_MEMBERS: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "trace_members", default=_NO_MEMBERS
)
#: Links one batch span keeps (the SDK's default of 128 would drop some of a 200-record batch's);
#: setup.py raises the provider's limit to match.
MAX_LINKS = 1000


@functools.cache
def tracer() -> trace.Tracer:
    """The product's tracer, made once per process: asking the provider for it cost about as much as
    the span itself (23 µs against 29 on this project's machine), twice per lead in a batch. Before
    set-up it is the API's proxy, which turns into the provider's tracer once setup.py has set one
    (after a fork too: the proxy asks the child's provider), so modules may call this at import time."""
    return trace.get_tracer("lead_routing")


def current_traceparent() -> str:
    """The W3C ``traceparent`` of the current span ("" when nothing is traced): 55 characters to
    store with a record so later work (a batch, a task) can link to or continue its trace. Formatted
    as ``TraceContextTextMapPropagator.inject`` formats it, without its carrier (once per owner
    write; a test holds the two equal)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return ""
    return (
        f"00-{format_trace_id(context.trace_id)}-{format_span_id(context.span_id)}-{context.trace_flags:02x}"
    )


@functools.lru_cache(maxsize=4096)
def context_of(traceparent: str) -> SpanContext | None:
    """The span context a stored ``traceparent`` names (None when empty or malformed). Remembered:
    a webhook delivery's hundred leads share one, asked for by the batch span's links and by each
    lead's member spans."""
    if not traceparent:
        return None
    span_context = trace.get_current_span(
        _PROPAGATOR.extract({"traceparent": traceparent})
    ).get_span_context()
    return span_context if span_context.is_valid else None


@functools.lru_cache(maxsize=4096)
def _parent_of(traceparent: str) -> tuple[SpanContext, Context] | None:
    """The span context a stored ``traceparent`` names and a context whose current span it is (None
    when empty or malformed). Contexts are immutable: one serves every member of a batch that
    continues the same trace."""
    parent = context_of(traceparent)
    return None if parent is None else (parent, trace.set_span_in_context(trace.NonRecordingSpan(parent)))


@contextmanager
def span(name: str, attributes: Mapping[str, AttributeValue] | None = None) -> Iterator[Span]:
    """A child span of the current one; an exception marks it as failed (by its kind only: a
    message may quote a CRM's answer) and goes on."""
    with (
        tracer().start_as_current_span(
            name, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as current,
        _failures_marked(current),
    ):
        yield current


@contextmanager
def batch_span(
    name: str,
    members: Mapping[str, str],
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[Span]:
    """A span for work done for many items at once, linked to each item's trace (``members``:
    item key -> its stored traceparent). Inside it, ``member_span(key)`` continues an item's trace."""
    links = _links(members.values())
    with tracer().start_as_current_span(
        name, attributes=attributes, links=links, record_exception=False, set_status_on_exception=False
    ) as current:
        token = _MEMBERS.set({**_MEMBERS.get(), **{key: tp for key, tp in members.items() if tp}})
        try:
            with _failures_marked(current):
                yield current
        finally:
            _MEMBERS.reset(token)


@contextmanager
def member_span(
    name: str,
    key: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    *,
    traceparent: str = "",
    start_time: int | None = None,
) -> Iterator[Span]:
    """The part of a batch done for one item, in that item's own trace (its parent: the item's
    stored context, from ``traceparent`` or the enclosing ``batch_span``), linked to the batch span.
    With no stored context (a poll, no tracing when it came in) it is a plain child span.
    ``start_time`` (ns since the epoch) backdates it, e.g. to the batch's start."""
    found = _parent_of(traceparent or _MEMBERS.get().get(key, ""))
    current = trace.get_current_span().get_span_context()
    links: list[Link] = []
    parent_context = None  # the current context
    if found is not None and found[0].trace_id != current.trace_id:
        links = [Link(current)] if current.is_valid else []
        parent_context = found[1]
    with (
        tracer().start_as_current_span(
            name,
            context=parent_context,
            attributes=attributes,
            links=links,
            start_time=start_time,
            record_exception=False,
            set_status_on_exception=False,
        ) as child,
        _failures_marked(child),
    ):
        yield child


def _links(traceparents: Iterable[str]) -> list[Link]:
    contexts: dict[int, SpanContext] = {}
    for traceparent in traceparents:
        found = context_of(traceparent)
        if found is not None and found.trace_id not in contexts:
            contexts[found.trace_id] = found
    return [Link(found) for found in list(contexts.values())[:MAX_LINKS]]


@contextmanager
def _failures_marked(current: Span) -> Iterator[None]:
    try:
        yield
    except BaseException as error:
        if current.is_recording() and current.status.status_code is StatusCode.UNSET:
            current.set_status(Status(StatusCode.ERROR, type(error).__name__))
        raise


def batch_attributes(connection_id: object, size: int) -> dict[str, AttributeValue]:
    """What a batch span says about itself: the connection and how many items it carried."""
    return {CONNECTION: str(connection_id), BATCH_SIZE: size}
