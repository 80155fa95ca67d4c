"""POST /api/v1/integrations/hubspot/events: stored first, verified, deduplicated, processed idempotently."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import DatabaseError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_integrations.hubspot.config import hubspot_settings
from crm_integrations.hubspot.webhooks import signature_v1, signature_v3
from crm_integrations.intake import batches, processing, webhooks
from crm_integrations.intake.handover import hand_over
from crm_integrations.models import WebhookDelivery, WebhookEvent

SECRET = hubspot_settings("sandbox")["CLIENT_SECRET"]  # the "sandbox" app's secret (config/settings/test.py)
URL = "http://testserver/api/v1/integrations/hubspot/events"
PORTAL = 24000001


def event(object_id, event_id=1, portal=PORTAL, kind="object.creation", occurred=1_764_000_000_000, **extra):
    return {
        "eventId": event_id,
        "subscriptionId": 77,
        "portalId": portal,
        "appId": 3000001,
        "occurredAt": occurred,
        "subscriptionType": kind,
        "objectTypeId": "0-136",
        "objectId": object_id,
        "changeSource": "CRM_UI",
        "attemptNumber": 0,
        **extra,
    }


def post(client, body, *, secret=SECRET, timestamp=None, headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time() * 1000) if timestamp is None else timestamp)
    signed = {
        "HTTP_X_HUBSPOT_SIGNATURE_V3": signature_v3(secret, "POST", URL, raw, timestamp),
        "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": timestamp,
    }
    return client.post(
        reverse("crm_integrations:webhook_events", args=["hubspot"]),
        data=raw,
        content_type="application/json",
        **(signed if headers is None else headers),
    )


def test_the_reference_signature_test_values_are_reproduced():
    body = (
        b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM",'
        b'"changeFlag":"NEW","appId":54321}]'
    )
    secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
    assert signature_v1(secret, body) == "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    assert (
        signature_v3(secret, "POST", "https://www.example.com/webhook_uri", body, "1564113600000")
        == "DxmVAjFNa2xfF3YgQjdZP6TNcok9k1oaH7UXombPtvw="
    )


@contextmanager
def queued_tasks(on_commit) -> Iterator[tuple[mock.MagicMock, mock.MagicMock]]:
    """The delivery's own task and its connection's round task, as the request queues them once its
    transaction commits (``on_commit``: pytest-django's ``django_capture_on_commit_callbacks``)."""
    with (
        mock.patch("crm_integrations.intake.tasks.process_webhook_delivery.apply_async") as delivery_task,
        mock.patch("crm_integrations.intake.tasks.take_in_pending_events.apply_async") as rounds,
        on_commit(execute=True),
    ):
        yield delivery_task, rounds


def test_a_signed_batch_is_stored_raw_answered_200_and_its_connections_round_queued(
    client, connection, intake, django_capture_on_commit_callbacks
):
    """Its events recorded as it arrives, a round of their connection is queued (on the account's
    queue: config/task_routing.py) and takes them in; the delivery needs no task of its own."""
    body = [event(101), event(102, event_id=2)]
    with queued_tasks(django_capture_on_commit_callbacks) as (delivery_task, rounds):
        response = post(client, body)

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert json.loads(delivery.body) == body
    assert (delivery.signature, delivery.status) == ("valid", "queued")
    assert delivery.headers["X-Hubspot-Signature-V3"] == "[redacted]"
    assert delivery.events.filter(outcome="pending").count() == 2
    rounds.assert_called_once_with((str(connection.pk),), countdown=0.0)
    assert delivery_task.call_count == 0

    batches.request(connection.pk)  # that round, as its task runs it
    delivery.refresh_from_db()
    assert intake[0] == [(connection.pk, "leads", ["101", "102"], "webhook")]
    assert (delivery.status, delivery.status_detail) == ("processed", "2 ingested")


def test_a_batch_whose_events_could_not_be_recorded_on_arrival_queues_its_own_task(
    client, connection, django_capture_on_commit_callbacks
):
    """Recording on arrival is best effort: when it fails, the stored delivery's task records and
    takes them in, queued with its events' account for that account's queue (config/task_routing.py)."""
    body = [event(101), event(102, event_id=2)]
    with (
        mock.patch.object(webhooks, "record_events", side_effect=DatabaseError("locked")),
        queued_tasks(django_capture_on_commit_callbacks) as (queued, rounds),
    ):
        response = post(client, body)

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.events.count()) == ("queued", 0)
    queued.assert_called_once_with((delivery.pk,), headers={"crm_account": f"hubspot:{body[0]['portalId']}"})
    assert rounds.call_count == 0


def test_a_batch_with_nothing_to_take_in_is_settled_in_its_request_and_queues_no_task(
    client, connection, django_capture_on_commit_callbacks
):
    """Its events are recorded as it arrives; when none waits for the intake (HubSpot's retry of a
    batch already recorded: all duplicates; likewise our own writes coming back), the delivery is
    settled there and then, with no task."""
    body = [event(101), event(102, event_id=2)]
    with queued_tasks(django_capture_on_commit_callbacks) as (delivery_task, rounds):
        post(client, body)
        response = post(client, [{**item, "attemptNumber": 1} for item in body])  # HubSpot's retry

    assert response.status_code == 200
    first, second = WebhookDelivery.objects.order_by("pk")
    assert (rounds.call_count, delivery_task.call_count) == (1, 0)  # the first batch's round only
    assert (second.status, second.status_detail) == ("processed", "2 duplicate")
    assert second.organization_id == connection.organization_id
    assert first.events.filter(outcome="pending").count() == 2  # recorded on arrival, for the round


def test_a_batch_arriving_during_a_round_of_its_connection_is_left_to_that_round(
    client, connection, intake, django_capture_on_commit_callbacks
):
    """Recorded on arrival with no task of its own: the round under way looks for pending events
    once it is done and queues the next round for them (crm_integrations/intake/batches.py)."""
    calls, _ = intake
    real_hand_over = batches._hand_over
    during: list[int] = []

    def round_while_a_batch_arrives(*args, **kwargs):  # the round has claimed its events
        if not during:
            during.append(post(client, [event(201, event_id=3)]).status_code)
        return real_hand_over(*args, **kwargs)

    post(client, [event(101)])
    with (
        mock.patch.object(batches, "_hand_over", round_while_a_batch_arrives),
        mock.patch("crm_integrations.intake.tasks.process_webhook_delivery.apply_async") as deliveries,
        mock.patch("crm_integrations.intake.tasks.take_in_pending_events.apply_async") as next_round,
        django_capture_on_commit_callbacks(execute=True),
    ):
        batches.request(connection.pk)

    assert during == [200] and deliveries.call_count == 0
    later = WebhookDelivery.objects.order_by("pk").last()
    assert (later.status, later.events.get().outcome) == ("queued", "pending")
    next_round.assert_called_once_with((str(connection.pk),), countdown=0.0)
    batches.take_in_pending(connection.pk)  # that next round
    later.refresh_from_db()
    assert later.status == "processed" and calls[-1][2] == ["201"]


def test_processing_hands_the_records_to_the_intake_and_records_what_each_became(client, connection, intake):
    calls, _ = intake
    post(client, [event(101), event(102, event_id=2)])
    delivery = WebhookDelivery.objects.get()

    assert processing.process(delivery.pk) == {"ingested": 2}
    assert calls == [(connection.pk, "leads", ["101", "102"], "webhook")]
    assert sorted(delivery.events.values_list("object_id", "outcome", "result_ref")) == [
        ("101", "ingested", "lead:101"),
        ("102", "ingested", "lead:102"),
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.organization_id) == ("processed", connection.organization_id)


def test_a_retried_batch_creates_nothing_twice(client, connection, intake):
    calls, _ = intake
    body = [event(101), event(102, event_id=2)]
    post(client, body)
    post(client, [{**item, "attemptNumber": 1} for item in body])  # HubSpot's retry
    first, second = WebhookDelivery.objects.order_by("pk")

    processing.process(first.pk)
    assert processing.process(second.pk) == {"duplicate": 2}
    assert len(calls) == 1
    assert set(second.events.values_list("duplicate_of__delivery", flat=True)) == {first.pk}


def test_the_first_sighting_of_a_duplicated_event_cannot_be_deleted_before_its_copies(
    client, connection, intake
):
    from django.db.models import ProtectedError

    body = [event(101)]
    post(client, body)
    post(client, [{**item, "attemptNumber": 1} for item in body])
    first, second = WebhookDelivery.objects.order_by("pk")
    processing.process(first.pk)
    processing.process(second.pk)

    with pytest.raises(ProtectedError):
        first.delete()  # would leave the copy claiming the dedupe key beside a new first sighting
    assert WebhookEvent.objects.count() == 2

    second.delete()
    first.delete()
    assert not WebhookEvent.objects.exists()


def test_event_ids_alone_do_not_make_duplicates(client, connection, intake):
    calls, _ = intake
    post(
        client,
        [event(101, event_id=5), event(102, event_id=5), event(101, event_id=5, occurred=1_764_000_000_999)],
    )
    assert processing.process(WebhookDelivery.objects.get().pk) == {"ingested": 3}
    assert calls[0][2] == ["101", "102"]


def test_a_bad_signature_gets_401_and_is_still_recorded(client, connection, intake):
    response = post(client, [event(101)], secret="not-the-secret")
    assert response.status_code == 401
    delivery = WebhookDelivery.objects.get()
    assert (delivery.signature, delivery.status, delivery.response_status) == ("invalid", "rejected", 401)
    assert json.loads(delivery.body)[0]["objectId"] == 101
    assert processing.process(delivery.pk) == {"skipped": 1}
    assert intake[0] == []


def test_a_stale_timestamp_is_refused(client, connection):
    response = post(client, [event(101)], timestamp=int(time.time() * 1000) - 6 * 60 * 1000)
    assert response.status_code == 401
    assert WebhookDelivery.objects.get().signature == "stale"


def test_a_v1_only_request_is_refused_unless_allowed(client, connection, settings):
    raw = json.dumps([event(101)]).encode()
    v1_headers = {
        "HTTP_X_HUBSPOT_SIGNATURE": signature_v1(SECRET, raw),
        "HTTP_X_HUBSPOT_SIGNATURE_VERSION": "v1",
    }
    assert post(client, raw, headers=v1_headers).status_code == 401
    assert WebhookDelivery.objects.get().signature == "v1_refused"

    settings.HUBSPOT_WEBHOOK_ALLOW_V1 = True
    assert post(client, raw, headers=v1_headers).status_code == 200


def test_an_unsigned_request_is_refused(client, connection):
    assert post(client, [event(101)], headers={}).status_code == 401
    assert WebhookDelivery.objects.get().signature == "missing"


def test_an_oversize_body_gets_413_and_is_recorded(client, connection, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 200
    response = post(client, [event(n, event_id=n) for n in range(10)])
    assert response.status_code == 413
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status, len(delivery.body)) == ("rejected", 413, 200)


def test_malformed_json_with_a_good_signature_gets_400(client, connection):
    assert post(client, b'[{"objectId": 1,').status_code == 400
    assert post(client, b'{"objectId": 1}').status_code == 400
    statuses = list(WebhookDelivery.objects.values_list("status", "response_status"))
    assert statuses == [("rejected", 400), ("rejected", 400)]


def test_an_event_for_an_unconnected_portal_is_rejected_and_recorded(client, connection, intake):
    response = post(client, [event(101, portal=99999), event(102, event_id=2)])
    assert response.status_code == 200  # correctly signed: HubSpot must not retry it
    processing.process(WebhookDelivery.objects.get().pk)
    outcomes = dict(WebhookEvent.objects.values_list("object_id", "outcome_detail"))
    assert outcomes["101"] == "no organization connected account 99999"
    assert intake[0][0][2] == ["102"]


def test_replay_retries_failed_events_and_leaves_done_ones(client, connection, intake):
    calls, failing = intake
    post(client, [event(101)])
    delivery = WebhookDelivery.objects.get()
    failing["error"] = RuntimeError("CRM down")
    assert processing.process(delivery.pk) == {"error": 1}
    assert WebhookEvent.objects.get().outcome_detail == "intake failed: RuntimeError: CRM down"

    failing["error"] = None
    assert processing.replay(delivery.pk) == {"ingested": 1}
    assert processing.replay(delivery.pk) == {"ingested": 1}  # nothing redone
    assert calls == [(connection.pk, "leads", ["101"], "replay")]
    delivery.refresh_from_db()
    assert (delivery.replays, WebhookEvent.objects.count()) == (2, 1)


def test_a_failed_event_says_when_polling_took_its_record_in_later(client, connection, intake):
    _, failing = intake
    post(client, [event(101), event(102, event_id=2)])
    failing["error"] = RuntimeError("the connection needs reconnecting")
    processing.process(WebhookDelivery.objects.get().pk)
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {"error"}

    failing["error"] = None
    hand_over(connection, "leads", ["101"], "poll")  # polling brings one of the two leads in

    taken, still = WebhookEvent.objects.get(object_id="101"), WebhookEvent.objects.get(object_id="102")
    assert (taken.outcome, taken.result_ref) == ("ingested", "lead:101")
    assert taken.outcome_detail.startswith("taken in later by poll at ")
    assert taken.outcome_detail.endswith(
        "this event had failed: intake failed: RuntimeError: the connection needs reconnecting"
    )
    assert still.outcome == "error"


def test_a_webhook_request_looks_for_no_rows_of_the_delivery_it_just_stored(
    client, connection, django_capture_on_commit_callbacks
):
    """Only a task or a replay can find rows of its delivery: the request that stored it records
    its events without looking (one read fewer a webhook, ours coming back included)."""
    with (
        CaptureQueriesContext(db_connection) as captured,
        queued_tasks(django_capture_on_commit_callbacks),
    ):
        post(client, [event(101), event(102, event_id=2)])
    delivery = WebhookDelivery.objects.get()
    own_rows = f'AND "crm_integrations_webhookevent"."delivery_id" = {delivery.pk})'
    assert [query["sql"] for query in captured.captured_queries if own_rows in query["sql"]] == []
    assert delivery.events.count() == 2
