"""When the CRM is unavailable or rate-limits the intake, a delivery's events stay pending and the
next intake round is queued with the CRM's wait as its countdown (no worker waits meanwhile)
instead of the events being marked failed."""

import json
import time
from unittest import mock

import pytest
from django.core.cache import cache

from crm_integrations.intake import processing
from crm_integrations.intake.tasks import take_in_pending_events
from crm_integrations.models import WebhookDelivery, WebhookEvent
from tests.field_mapping.test_receivers_end_to_end import create_lead_as_a_user


@pytest.mark.django_db
def test_an_unavailable_crm_leaves_the_events_pending_for_the_retry(hubspot_connection, hubspot_sandbox):
    lead_id = create_lead_as_a_user(hubspot_sandbox, "retry@later.example")
    event = {
        "objectId": int(lead_id),
        "subscriptionType": "object.creation",
        "objectTypeId": "0-136",
        "portalId": 24000001,
        "eventId": 1,
        "subscriptionId": 1,
        "occurredAt": int(time.time() * 1000),
        "attemptNumber": 0,
    }
    delivery = WebhookDelivery.objects.create(
        provider="hubspot",
        method="POST",
        url="/api/v1/integrations/hubspot/events",
        signature="valid",
        body=json.dumps([event]),
    )
    hubspot_sandbox.control.set_faults(
        error_share=1.0, error_statuses=[503], path_prefix="/crm/v3/objects/leads"
    )

    with mock.patch.object(take_in_pending_events, "apply_async") as next_round:
        assert processing.process(delivery.pk) == {"pending": 1}
    assert WebhookEvent.objects.get(delivery=delivery).outcome == "pending"
    ((args,), options) = next_round.call_args
    assert args == (str(hubspot_connection.pk),) and options["countdown"] >= 0.5

    hubspot_sandbox.control.clear_faults()
    cache.delete(f"intake:running:{hubspot_connection.pk}:later")
    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 1}  # the next round
