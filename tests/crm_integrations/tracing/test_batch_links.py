"""Where leads are batched, the batch's span links to every lead's trace, and each lead's trace
still shows its part of the batch: 100 leads from 100 webhooks, taken in by one intake batch
and written back by one write-back batch."""

from unittest import mock

import pytest
from django.core.cache import cache

from crm_integrations.core import tracing
from crm_integrations.intake import batches, processing
from devtools.demo.rules import starter_rules
from routing.models import OwnerWrite
from routing.reps_sync import sync_reps
from tests.crm_integrations.intake.test_batches import batch_under_way, delivery_of

pytestmark = pytest.mark.e2e  # the CRM sandbox (tests/markers.py)


@pytest.mark.django_db
def test_a_batch_of_100_leads_links_all_100_traces(
    hubspot_connection, hubspot_sandbox, spans, django_capture_on_commit_callbacks
):
    starter_rules(hubspot_connection.organization)
    sync_reps(hubspot_connection)
    made = hubspot_sandbox.control.seed_leads(100, unowned=True)  # every lead needs its owner written
    lead_ids = [str(n) for n in range(int(made["firstId"]), int(made["lastId"]) + 1)]
    hubspot_sandbox.control.clear_requests()
    batch_under_way(hubspot_connection)  # each webhook's events wait for the batch
    webhook_traces = {}
    with mock.patch("crm_integrations.intake.tasks.take_in_pending_events.apply_async"):
        for lead_id in lead_ids:
            with tracing.span("webhook") as root:  # each webhook a trace of its own
                processing.process(delivery_of([lead_id]).pk)
            webhook_traces[lead_id] = root.get_span_context().trace_id
    cache.delete(f"intake:running:{hubspot_connection.pk}")
    spans.clear()

    with django_capture_on_commit_callbacks(execute=True):  # the write-back follows the commit
        batches.take_in_pending(hubspot_connection.pk)

    finished = spans.get_finished_spans()
    intake = [s for s in finished if s.name == "intake.batch"]
    assert len(intake) == 1
    assert {link.context.trace_id for link in intake[0].links} == set(webhook_traces.values())
    assert any(s.name == "crm.call" and s.parent.span_id == intake[0].context.span_id for s in finished)
    # Each lead's routing and owner written are in that lead's own trace, linked to the batch.
    decisions = {s.attributes["lead.id"]: s for s in finished if s.name == "routing.decide"}
    assert len(decisions) == 100
    assert {s.context.trace_id for s in decisions.values()} == set(webhook_traces.values())
    assert all(s.links[0].context.span_id == intake[0].context.span_id for s in decisions.values())
    # The write-back batch carried every lead the rules assigned (some leads match no rule).
    sent = OwnerWrite.objects.filter(status="written").values_list("record_id", flat=True)
    sent_traces = {webhook_traces[record_id] for record_id in sent}
    assert len(sent_traces) > 50
    writeback = [s for s in finished if s.name == "routing.writeback"]
    assert len(writeback) == 1
    assert {link.context.trace_id for link in writeback[0].links} == sent_traces
    written = [s for s in finished if s.name == "routing.owner_written"]
    assert {s.context.trace_id for s in written} == sent_traces
    assert {s.attributes["routing.outcome"] for s in written} == {"written"}
