"""A delivery's events are recorded in bulk; a first sighting another worker records in between
makes the delivery fall back to event-by-event recording, which marks the event a duplicate."""

import json

import pytest

from crm_integrations.intake import events, processing
from crm_integrations.models import WebhookDelivery, WebhookEvent


def delivery_of(object_ids: list[int], event_id: int = 1) -> WebhookDelivery:
    events = [
        {
            "objectId": object_id,
            "subscriptionType": "object.deletion",  # ignored at first look: no CRM is called
            "objectTypeId": "0-136",
            "portalId": 24000001,
            "eventId": event_id + n,
            "subscriptionId": 1,
            "occurredAt": 1796000000000 + n,
            "attemptNumber": 0,
        }
        for n, object_id in enumerate(object_ids)
    ]
    return WebhookDelivery.objects.create(
        provider="hubspot",
        method="POST",
        url="/api/v1/integrations/hubspot/events",
        signature="valid",
        body=json.dumps(events),
    )


@pytest.mark.django_db
def test_events_are_recorded_once_each_in_a_few_statements(hubspot_connection, django_assert_max_num_queries):
    delivery = delivery_of(list(range(1, 101)))

    with django_assert_max_num_queries(20):  # one by one this took over 300
        counts = processing.process(delivery.pk)

    assert counts == {"ignored": 100}
    assert WebhookEvent.objects.filter(delivery=delivery).count() == 100


@pytest.mark.django_db
def test_a_first_sighting_recorded_by_another_worker_meanwhile_makes_this_one_a_duplicate(
    hubspot_connection, monkeypatch
):
    rival = delivery_of([7])
    mine = delivery_of([7])
    first_look = events._first_look

    def rival_records_first(connection, event, **kwargs):
        monkeypatch.setattr(events, "_first_look", first_look)
        processing.process(rival.pk)  # the other worker wins the race between our read and our insert
        return first_look(connection, event, **kwargs)

    monkeypatch.setattr(events, "_first_look", rival_records_first)
    processing.process(mine.pk)

    winner = WebhookEvent.objects.get(delivery=rival)
    loser = WebhookEvent.objects.get(delivery=mine)
    assert winner.duplicate_of is None and winner.outcome == "ignored"
    assert loser.duplicate_of == winner and loser.outcome == "duplicate"
