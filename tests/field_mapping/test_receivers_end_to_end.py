"""From HubSpot to a canonical lead: a signed webhook (or a poll) → batch fetch across objects → Lead."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.intake import polling
from crm_integrations.models import WebhookDelivery, WebhookEvent
from field_mapping.models import Lead

EVENTS_PATH = "/api/v1/integrations/hubspot/events"


@pytest.fixture
def connection(hubspot_connection):
    return hubspot_connection


def create_lead_as_a_user(sandbox, email: str) -> str:
    contact = sandbox.control.create_record(
        "contacts", {"email": email, "firstname": "Ada", "lastname": "Lovelace", "country": "United Kingdom"}
    )
    lead = sandbox.control.create_record(
        "leads",
        {"hs_lead_name": "Ada Lovelace - Analytical Engines", "lead_source": "EVENT", "lead_amount": "12500"},
        associations=[
            {
                "to": {"id": contact["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
            }
        ],
    )
    return str(lead["id"])


@pytest.mark.django_db(transaction=True)
def test_a_lead_created_in_hubspot_arrives_by_webhook_as_a_canonical_lead(
    connection, hubspot_sandbox, live_server, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's part runs inline here
    settings.ALLOWED_HOSTS = ["*"]
    hubspot_sandbox.control.configure_webhooks(targetUrl=f"{live_server.url}{EVENTS_PATH}")

    lead_id = create_lead_as_a_user(hubspot_sandbox, "Ada@Engines.example")
    assert hubspot_sandbox.control.wait_for_deliveries(timeout=15)

    delivery = WebhookDelivery.objects.filter(status="processed").latest("received_at")
    assert delivery.signature == "valid"
    event = WebhookEvent.objects.get(object_id=lead_id, event_type="object.creation")
    lead = Lead.objects.get(connection=connection, external_id=lead_id)
    assert event.outcome == "ingested" and event.result_ref == f"lead:{lead.pk}"
    assert (lead.name, lead.email, lead.country, lead.source) == (
        "Ada Lovelace - Analytical Engines",
        "ada@engines.example",
        "United Kingdom",
        "EVENT",
    )
    assert str(lead.amount) == "12500.00"
    assert lead.received_via == "webhook"
    assert lead.raw["associated"]["contacts"][0]["properties"]["email"] == "Ada@Engines.example"


def test_polling_takes_in_the_same_leads_once(connection, hubspot_sandbox):
    first = polling.poll(connection, "leads", since=timezone.now() - timedelta(days=400))
    leads = Lead.objects.filter(connection=connection)
    assert first.records == leads.count() > 0
    assert set(leads.values_list("received_via", flat=True)) == {"poll"}

    polling.poll(connection, "leads", since=timezone.now() - timedelta(days=400))  # the same records again
    assert Lead.objects.filter(connection=connection).count() == first.records


def test_a_record_that_does_not_map_is_kept_in_a_visible_error_state(connection, hubspot_sandbox):
    from field_mapping import receivers
    from field_mapping.models import FieldRule
    from field_mapping.services import default_mapping_for

    mapping = default_mapping_for(connection)
    FieldRule.objects.filter(mapping=mapping, canonical_field="amount").update(source_path="hs_lead_name")
    lead_id = create_lead_as_a_user(hubspot_sandbox, "bad-amount@example.com")

    outcomes = receivers.take_in(connection, "leads", [lead_id], "webhook")

    lead = Lead.objects.get(external_id=lead_id)
    assert outcomes[lead_id].detail == "created, with mapping errors"
    assert lead.state == "mapping_error"
    assert any(
        error["field"] == "amount" and "not a number" in error["message"] for error in lead.mapping_errors
    )
    assert lead.email == "bad-amount@example.com"  # what did map is kept, and so is the raw record
    assert lead.raw["properties"]["hs_lead_name"] == "Ada Lovelace - Analytical Engines"


def test_a_large_batch_is_read_whole_but_stored_and_announced_a_part_at_a_time(
    connection, hubspot_sandbox, monkeypatch
):
    """The records are read in one batch (calls stay full) and stored and handed to routing by
    ``STORE_CHUNK`` (short transactions); every record gets its outcome."""
    from field_mapping import receivers
    from field_mapping.signals import leads_stored

    made = hubspot_sandbox.control.seed_leads(5)
    ids = [str(n) for n in range(int(made["firstId"]), int(made["lastId"]) + 1)]
    monkeypatch.setattr(receivers, "STORE_CHUNK", 2)
    announced: list[int] = []

    def count(sender, connection, changes, source, **kwargs):
        announced.append(len(changes))

    leads_stored.connect(count, dispatch_uid="test-store-chunks")
    try:
        outcomes = receivers.take_in(connection, "leads", ids, "webhook")
    finally:
        leads_stored.disconnect(dispatch_uid="test-store-chunks")
    assert announced == [2, 2, 1]
    assert {o.outcome for o in outcomes.values()} == {"ingested"} and len(outcomes) == 5
    assert Lead.objects.filter(connection=connection, external_id__in=ids).count() == 5
