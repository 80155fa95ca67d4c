"""The span helpers of crm_integrations/core/tracing/__init__.py: each span is ended, the context
before it is current again afterwards, and a failure inside marks the span by the error's kind only
(a message may quote a CRM's answer) without swallowing it."""

import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from crm_integrations.core import tracing

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_member_span_continues_the_items_trace_linked_to_the_batch(spans):
    with tracing.batch_span("intake.batch", {"lead-1": TRACEPARENT}) as batch:
        with tracing.member_span("routing.decide", "lead-1") as member:
            assert trace.get_current_span() is member
        assert trace.get_current_span() is batch
    assert trace.get_current_span() is trace.INVALID_SPAN
    finished = {span.name: span for span in spans.get_finished_spans()}
    decide = finished["routing.decide"]
    assert decide.context.trace_id == int("0af7651916cd43dd8448eb211c80319c", 16)
    assert decide.parent.span_id == int("b7ad6b7169203331", 16)
    assert [link.context.span_id for link in decide.links] == [batch.get_span_context().span_id]
    assert finished["intake.batch"].links[0].context.trace_id == decide.context.trace_id


@pytest.mark.parametrize("helper", ["span", "member_span", "batch_span"])
def test_a_failure_marks_the_span_by_kind_and_goes_on(spans, helper):
    opened = {
        "span": lambda: tracing.span("work"),
        "member_span": lambda: tracing.member_span("work", "lead-1", traceparent=TRACEPARENT),
        "batch_span": lambda: tracing.batch_span("work", {"lead-1": TRACEPARENT}),
    }[helper]
    with pytest.raises(KeyError), opened():
        raise KeyError("token=secret-from-the-crm")
    (failed,) = spans.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "KeyError"
    assert "secret" not in str(failed.events) + str(failed.attributes)
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_the_tracer_is_made_once_and_its_spans_reach_the_provider(spans):
    assert tracing.tracer() is tracing.tracer()  # not asked of the provider for every span
    with tracing.span("work"):
        pass
    assert [span.name for span in spans.get_finished_spans()] == ["work"]


def test_the_stored_traceparent_is_the_one_the_w3c_propagator_writes(spans):
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    assert tracing.current_traceparent() == ""  # nothing traced: nothing to store
    with tracing.member_span("routing.decide", "lead-1", traceparent=TRACEPARENT):
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        assert tracing.current_traceparent() == carrier["traceparent"]
        assert tracing.current_traceparent().startswith("00-0af7651916cd43dd8448eb211c80319c-")


def test_members_sharing_a_traceparent_each_get_their_own_span_under_it(spans):
    """The parsed traceparent and its context are remembered (a delivery's leads share one); each
    member still gets a span of its own, and a malformed one is a plain child span."""
    with tracing.batch_span("intake.batch", {"a": TRACEPARENT, "b": TRACEPARENT, "c": "00-nonsense"}):
        for key in ("a", "b", "c"):
            with tracing.member_span("routing.decide", key):
                pass
    finished = [span for span in spans.get_finished_spans() if span.name == "routing.decide"]
    batch = next(span for span in spans.get_finished_spans() if span.name == "intake.batch")
    a, b, c = finished
    assert a.parent.span_id == b.parent.span_id == int("b7ad6b7169203331", 16)
    assert a.context.span_id != b.context.span_id
    assert c.parent.span_id == batch.context.span_id and c.context.trace_id == batch.context.trace_id
