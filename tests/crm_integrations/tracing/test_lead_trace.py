"""A lead from its signed webhook to its owner written is one trace, across a real broker hop.

The webhook is posted (signed) to our endpoint; its task goes through the filesystem broker to a
Celery worker (in a thread of this process, so the in-memory exporter sees both sides: the
context crosses only through the message headers); the worker takes the lead in, routes it and
writes its owner back to the HubSpot sandbox.
"""

import pytest
from django.test import Client
from opentelemetry.trace import SpanKind

from crm_integrations.hubspot.config import hubspot_settings
from tests.crm_integrations.intake.test_hubspot_events import event, post
from tests.field_mapping.test_receivers_end_to_end import create_lead_as_a_user

from .conftest import wait_for_owner_written, wait_for_span

pytestmark = pytest.mark.e2e  # a Celery worker and the CRM sandbox (tests/markers.py)


def all_strings(span) -> list[str]:
    """Everything a span says, as text: name, attributes, events, links, resource."""
    texts = [span.name, str(span.status.description or "")]
    for attributes in (
        span.attributes,
        span.resource.attributes,
        *(e.attributes for e in span.events),
        *(link.attributes for link in span.links),
    ):
        texts += [f"{key}={value}" for key, value in (attributes or {}).items()]
    return texts


@pytest.mark.django_db(transaction=True)
def test_a_lead_from_signed_webhook_to_owner_written_is_one_trace(routed, hubspot_sandbox, spans, worker):
    lead_id = create_lead_as_a_user(hubspot_sandbox, "trace@example.com")

    answer = post(Client(), [event(int(lead_id))])
    assert answer.status_code == 200
    write = wait_for_owner_written(lead_id)
    finished = wait_for_span(spans, "run/crm_integrations.tasks.take_in_pending_events")
    by_name: dict[str, list] = {}
    for span in finished:
        by_name.setdefault(span.name, []).append(span)
    request = next(s for s in finished if s.kind is SpanKind.SERVER)
    trace_id = request.context.trace_id
    publish = next(s for s in by_name["apply_async/crm_integrations.tasks.take_in_pending_events"])
    run = next(s for s in by_name["run/crm_integrations.tasks.take_in_pending_events"])
    # Parent and child across the hop: request -> publish (producer) -> run (consumer, remote parent).
    assert publish.parent.span_id == request.context.span_id
    assert run.parent.span_id == publish.context.span_id and run.parent.is_remote
    traced = {s.name for s in finished if s.context.trace_id == trace_id}
    assert {
        "intake.batch",
        "routing.decide",
        "crm.call",
        "routing.writeback",
        "routing.owner_written",
    } <= traced
    decide = next(s for s in by_name["routing.decide"] if s.context.trace_id == trace_id)
    assert decide.attributes["lead.id"] == write.decision.lead_id
    calls = [s for s in by_name["crm.call"] if s.context.trace_id == trace_id]
    endpoints = {s.attributes["crm.endpoint"] for s in calls}
    assert "/crm/v3/objects/{objectType}/batch/update" in endpoints or any("batch" in e for e in endpoints)
    for call in calls:
        assert call.attributes["crm.provider"] == "hubspot" and call.attributes["crm.attempt"] >= 1
        assert call.attributes["http.response.status_code"] < 400
    written = next(s for s in by_name["routing.owner_written"] if s.context.trace_id == trace_id)
    assert written.attributes["routing.outcome"] == "written"

    # No span says a secret: the connection's tokens, the app's secret, the webhook's signature.
    routed.refresh_from_db()
    secrets = [routed.access_token, routed.refresh_token, hubspot_settings("sandbox")["CLIENT_SECRET"]]
    secrets += [answer.wsgi_request.headers["X-HubSpot-Signature-V3"]]
    assert all(len(secret) >= 16 for secret in secrets)
    leaks = [
        (span.name, text) for span in finished for text in all_strings(span) for s in secrets if s in text
    ]
    assert leaks == []
    assert not any(
        "?" in text for span in finished for text in all_strings(span) if "url" in text.split("=")[0]
    )
