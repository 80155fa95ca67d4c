"""From a monday board to canonical leads through the same pipeline as HubSpot's: JWT-signed webhooks
(after the challenge handshake) and polling, against the monday sandbox over real HTTP."""

from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from crm_integrations.intake import polling
from crm_integrations.models import WebhookDelivery, WebhookEvent
from field_mapping import receivers
from field_mapping.models import Lead
from tests.conftest import MONDAY_SIGNING_SECRET

EVENTS_PATH = "/api/v1/integrations/monday/events"
#: The canonical fields a lead has whatever CRM it came from (the owner is each CRM's own user id).
CRM_NEUTRAL = ("name", "email", "company", "country", "source", "amount", "industry", "status", "lead_type")


def create_monday_lead(sandbox, email: str) -> str:
    """Grace's lead as a person types it on the monday board (triggers create_item webhooks)."""
    item = sandbox.control.create_item(
        "Grace Hopper - Compilers Inc",
        {
            "email": {"email": email, "text": email},
            "text_company": "Compilers Inc",
            "text_country": "United States",
            "status_source": {"label": "Website"},
            "numbers_amount": "48000",
            "dropdown_industry": {"labels": ["Software"]},
            "status": {"label": "New"},
            "status_lead_type": {"label": "New business"},
        },
    )
    return str(item["id"])


def create_hubspot_lead(sandbox, email: str) -> str:
    """The same lead typed into HubSpot: a company, its contact, and a lead on the contact."""
    company = sandbox.control.create_record(
        "companies", {"name": "Compilers Inc", "industry": "COMPUTER_SOFTWARE"}
    )
    contact = sandbox.control.create_record(
        "contacts",
        {"email": email, "firstname": "Grace", "lastname": "Hopper", "country": "United States"},
        associations=[
            {
                "to": {"id": company["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
            }
        ],
    )
    lead = sandbox.control.create_record(
        "leads",
        {
            "hs_lead_name": "Grace Hopper - Compilers Inc",
            "lead_source": "WEBSITE",
            "lead_amount": "48000",
            "hs_lead_type": "NEW_BUSINESS",
            "hs_pipeline": "lead-pipeline-id",
            "hs_pipeline_stage": "new-stage-id",
        },
        associations=[
            {
                "to": {"id": contact["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
            }
        ],
    )
    return str(lead["id"])


def canonical(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in CRM_NEUTRAL}


@pytest.mark.django_db(transaction=True)
def test_a_monday_item_arrives_by_jwt_signed_webhook_as_a_canonical_lead(
    monday_connection, monday_sandbox, live_server, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's part runs inline here
    settings.ALLOWED_HOSTS = ["*"]
    # Subscribing makes monday POST the challenge first; the subscription fails unless it is echoed.
    monday_sandbox.control.configure_webhooks(
        targetUrl=f"{live_server.url}{EVENTS_PATH}", retryTimeScale=0.001
    )
    assert WebhookDelivery.objects.filter(provider="monday", status="handshake").count() == 2

    item_id = create_monday_lead(monday_sandbox, "Grace@Compilers.example")
    assert monday_sandbox.control.wait_for_deliveries(timeout=15)

    event = WebhookEvent.objects.get(object_id=item_id, event_type="create_item")
    assert event.delivery.signature == "valid"
    assert event.delivery.account_id == str(monday_sandbox.account_id)
    lead = Lead.objects.get(connection=monday_connection, external_id=item_id)
    assert event.outcome == "ingested" and event.result_ref == f"lead:{lead.pk}"
    assert (lead.object_type, lead.state, lead.received_via) == ("items", "ok", "webhook")
    assert canonical(lead) == {
        "name": "Grace Hopper - Compilers Inc",
        "email": "grace@compilers.example",
        "company": "Compilers Inc",
        "country": "United States",
        "source": "WEBSITE",
        "amount": 48000,
        "industry": "COMPUTER_SOFTWARE",
        "status": "open",
        "lead_type": "NEW_BUSINESS",
    }


@pytest.mark.django_db
def test_a_monday_webhook_with_a_forged_jwt_is_refused_with_401_and_recorded(monday_connection, client):
    body = {"event": {"type": "create_pulse", "boardId": 1, "pulseId": 2, "triggerUuid": "t-1"}}
    url = f"http://testserver{EVENTS_PATH}"
    forged = jwt.encode(
        {"accountId": 1, "aud": url, "exp": 9_999_999_999},
        "not-the-signing-secret-but-long-enough-for-hs256",
        algorithm="HS256",
    )

    response = client.post(EVENTS_PATH, body, content_type="application/json", HTTP_AUTHORIZATION=forged)

    assert response.status_code == 401
    delivery = WebhookDelivery.objects.get(provider="monday")
    assert (delivery.status, delivery.signature, delivery.response_status) == ("rejected", "invalid", 401)
    assert forged not in str(delivery.headers)  # the token is masked in what is stored
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_a_monday_event_for_an_account_nobody_connected_is_rejected_and_recorded(
    monday_connection, client, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    url = f"http://testserver{EVENTS_PATH}"
    token = jwt.encode({"accountId": 999, "aud": url, "exp": 9_999_999_999}, MONDAY_SIGNING_SECRET, "HS256")
    body = {"event": {"type": "create_pulse", "boardId": 1, "pulseId": 2, "triggerUuid": "t-2"}}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EVENTS_PATH, body, content_type="application/json", HTTP_AUTHORIZATION=token)

    assert response.status_code == 200  # correctly signed: accepted once stored, whatever follows
    [event] = WebhookEvent.objects.all()
    assert (event.account_id, event.outcome) == ("999", "rejected")
    assert "no organization connected account 999" in event.outcome_detail


@pytest.mark.django_db
def test_polling_a_monday_board_takes_each_item_in_once(monday_connection, monday_sandbox):
    first = polling.poll(monday_connection, "items", since=timezone.now() - timedelta(days=400))
    leads = Lead.objects.filter(connection=monday_connection)
    assert first.records == leads.count() == len(monday_sandbox.state.board.items) > 0
    assert not leads.filter(state="mapping_error").exists()

    polling.poll(monday_connection, "items", since=timezone.now() - timedelta(days=400))
    assert Lead.objects.filter(connection=monday_connection).count() == first.records


@pytest.mark.django_db
def test_the_same_lead_from_monday_and_from_hubspot_maps_to_the_same_canonical_lead(
    monday_connection, monday_sandbox, hubspot_connection, hubspot_sandbox
):
    item_id = create_monday_lead(monday_sandbox, "grace@compilers.example")
    lead_id = create_hubspot_lead(hubspot_sandbox, "Grace@Compilers.example")

    receivers.take_in(monday_connection, "items", [item_id], "webhook")
    receivers.take_in(hubspot_connection, "leads", [lead_id], "webhook")

    from_monday = Lead.objects.get(connection=monday_connection, external_id=item_id)
    from_hubspot = Lead.objects.get(connection=hubspot_connection, external_id=lead_id)
    assert from_monday.state == from_hubspot.state == "ok"
    assert canonical(from_monday) == canonical(from_hubspot)
    assert canonical(from_monday)["industry"] == "COMPUTER_SOFTWARE"  # a real value, not two blanks
