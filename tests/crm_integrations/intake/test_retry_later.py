"""When the CRM is unavailable or rate-limits the intake, a delivery's events stay pending and the
task retries later (RetryLater goes up to Celery) instead of being marked failed."""

import json
import time

import pytest

from crm_integrations.core.errors import RetryLater
from crm_integrations.intake import processing
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

    with pytest.raises(RetryLater):
        processing.process(delivery.pk)
    assert WebhookEvent.objects.get(delivery=delivery).outcome == "pending"

    hubspot_sandbox.control.clear_faults()
    assert processing.process(delivery.pk) == {"ingested": 1}  # the retry
