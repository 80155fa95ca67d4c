"""The embedded default: spans kept in the database (written when the outermost span ends, safe
attributes only), read back as a lead's waterfall, and pruned by the retention policy."""

from datetime import timedelta

import pytest
from django.utils import timezone
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from crm_integrations import pruning
from crm_integrations.core.tracing.store import DatabaseSpanExporter
from crm_integrations.core.tracing.waterfall import lead_waterfall
from crm_integrations.models import TraceSpan, TraceSpanLink

SECRET = "pat-na1-0123456789abcdef-secret"


@pytest.fixture
def tracer():
    """A provider of this test's own writing to the database as each span ends (the product batches
    them in a background thread: setup.py); the global provider is the tests' in-memory one."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(DatabaseSpanExporter()))
    yield provider.get_tracer("test")
    provider.shutdown()


def a_lead_trace(tracer, lead_id: int, links=()):
    with (
        tracer.start_as_current_span("POST api/v1/integrations/<slug:provider>/events", kind=SpanKind.SERVER),
        tracer.start_as_current_span(
            "apply_async/crm_integrations.tasks.process_webhook_delivery", kind=SpanKind.PRODUCER
        ) as publish,
    ):
        pass
    with (
        tracer.start_as_current_span(
            "run/crm_integrations.tasks.process_webhook_delivery",
            context=_remote(publish),
            kind=SpanKind.CONSUMER,
        ),
        tracer.start_as_current_span("intake.batch", attributes={"batch.size": 1}, links=list(links)),
    ):
        with (
            tracer.start_as_current_span(
                "crm.call",
                attributes={
                    "crm.provider": "hubspot",
                    "http.request.method": "POST",
                    "crm.endpoint": "/crm/v3/objects/leads/batch/read",
                    "crm.attempt": 2,
                    "http.response.status_code": 200,
                    "http.request.header.authorization": f"Bearer {SECRET}",
                    "url.full": f"https://api.example/x?token={SECRET}",
                },
            ),
            tracer.start_as_current_span("crm.rate_limit_wait"),
        ):
            pass
        with tracer.start_as_current_span("routing.decide", attributes={"lead.id": lead_id}) as decide:
            decide.set_status(Status(StatusCode.ERROR, "KeyError"))
    return publish.get_span_context().trace_id


def _context(row):
    from opentelemetry.trace import SpanContext, TraceFlags

    return SpanContext(int(row.trace_id, 16), int(row.span_id, 16), is_remote=True, trace_flags=TraceFlags(1))


def _remote(span):
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext

    context = span.get_span_context()
    remote = SpanContext(context.trace_id, context.span_id, is_remote=True, trace_flags=context.trace_flags)
    return trace.set_span_in_context(NonRecordingSpan(remote))


@pytest.mark.django_db
def test_spans_are_stored_with_their_parents_and_safe_attributes_only(tracer):
    trace_id = a_lead_trace(tracer, lead_id=42)

    rows = TraceSpan.objects.filter(trace_id=f"{trace_id:032x}")
    assert rows.count() == 7
    call = rows.get(name="crm.call")
    assert call.attributes == {
        "crm.provider": "hubspot",
        "http.request.method": "POST",
        "crm.endpoint": "/crm/v3/objects/leads/batch/read",
        "crm.attempt": 2,
        "http.response.status_code": 200,
    }
    assert not any(SECRET in str(row.attributes) for row in TraceSpan.objects.all())
    assert rows.get(name="routing.decide").lead_id == 42
    assert rows.get(name="routing.decide").status == "error"
    run = rows.get(kind="consumer")
    assert run.parent_id == rows.get(kind="producer").span_id


@pytest.mark.django_db
def test_the_waterfall_shows_each_step_in_words_with_queue_wait_and_the_batch_that_carried_it(tracer):
    a_lead_trace(tracer, lead_id=7)
    batch_trace = a_lead_trace(tracer, lead_id=8)
    # A batch in another trace that carried lead 7: linked to lead 7's trace.
    lead_trace = TraceSpan.objects.filter(lead_id=7).get().trace_id
    batch = TraceSpan.objects.filter(trace_id=f"{batch_trace:032x}", name="intake.batch").get()
    TraceSpanLink.objects.create(span=batch, linked_trace_id=lead_trace, linked_span_id="0" * 16)

    waterfall = lead_waterfall(7)

    labels = [row.label for row in waterfall.rows]
    assert labels[:3] == [
        "Webhook received from the CRM",
        "Queued a task: process the webhook delivery",
        "Waiting in the queue for a worker",
    ]
    assert "Worker task: process the webhook delivery" in labels
    assert "CRM call: POST /crm/v3/objects/leads/batch/read (attempt 2)" in labels
    assert "Waiting for the CRM's rate-limit budget" not in labels  # under 1 ms: the budget was there
    assert "Routing decision: rules, candidates, rep chosen" in labels
    decide = next(
        row for row in waterfall.rows if row.label.startswith("Routing decision") and not row.via_batch
    )
    assert decide.failed and decide.status == "Failed"
    assert {row.category for row in waterfall.rows} == {"code", "queue", "crm"}
    assert all(0 <= row.left <= 100 and row.width > 0 for row in waterfall.rows)
    carried = [row for row in waterfall.rows if row.via_batch]
    assert carried[0].label == "Intake batch: records read and mapped (1 in the batch)"
    assert any(row.label.startswith("CRM call") for row in carried)
    assert lead_waterfall(999) is None


@pytest.mark.django_db
def test_only_a_batch_spans_links_are_stored_so_the_host_trace_borrows_no_other_leads_part(tracer):
    """The batch runs in lead 7's trace (the task its webhook queued) and carries lead 8 too: lead 8's
    part of it is in lead 8's trace, linked back to the batch (as tracing.member_span links it)."""
    lead_8 = a_lead_trace(tracer, lead_id=80)
    host = tracer.start_span("webhook", kind=SpanKind.SERVER)
    with (
        trace.use_span(host, end_on_exit=True),
        tracer.start_as_current_span(
            "intake.batch", attributes={"batch.size": 2}, links=[Link(_context(_root_of(lead_8)))]
        ) as batch,
    ):
        with tracer.start_as_current_span("routing.decide", attributes={"lead.id": 7}):
            pass
        with tracer.start_as_current_span(
            "routing.decide",
            context=_remote_context(_root_of(lead_8)),
            attributes={"lead.id": 8},
            links=[Link(batch.get_span_context())],
        ):
            pass

    assert list(TraceSpanLink.objects.values_list("span__name", flat=True)) == ["intake.batch"]
    assert not [row for row in lead_waterfall(7).rows if row.via_batch]
    assert next(row.label for row in lead_waterfall(8).rows if row.via_batch).startswith("Intake batch")


def _root_of(trace_id: int) -> TraceSpan:
    return TraceSpan.objects.get(trace_id=f"{trace_id:032x}", parent_id="")


def _remote_context(row: TraceSpan):
    return trace.set_span_in_context(trace.NonRecordingSpan(_context(row)))


@pytest.mark.django_db
def test_old_spans_and_their_links_are_pruned_by_the_daily_retention(tracer, settings):
    settings.DATA_RETENTION = {**settings.DATA_RETENTION, "TRACE_DAYS": 7}
    a_lead_trace(tracer, lead_id=1)
    kept = TraceSpan.objects.count()
    first = TraceSpan.objects.get(lead_id=1)
    a_lead_trace(tracer, lead_id=2, links=[Link(_context(first))])  # the batch links to lead 1's trace
    old = TraceSpan.objects.filter(lead_id=2).get().trace_id
    TraceSpan.objects.filter(trace_id=old).update(started_at=timezone.now() - timedelta(days=8))
    assert TraceSpanLink.objects.filter(span__trace_id=old).count() == 1

    removed = pruning.run_all()

    assert removed["trace_spans"] == 7
    assert TraceSpan.objects.count() == kept and not TraceSpanLink.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_products_processor_writes_batches_from_its_own_thread():
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DatabaseSpanExporter()))
    try:
        a_lead_trace(provider.get_tracer("test"), lead_id=5)
        assert provider.force_flush(timeout_millis=20_000)
    finally:
        provider.shutdown()
    assert TraceSpan.objects.filter(lead_id=5).count() == 1 and TraceSpan.objects.count() == 7
