"""Outbound Messages at ``POST /api/v1/integrations/salesforce/outbound``: a connected org's message is
stored whole, answered with the ``Ack`` and read as a nudge; bad input is refused with its status,
recorded for the webhook debugger, and nothing of it is stored whole or processed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from crm_integrations.intake import processing
from crm_integrations.models import DeliveryStatus, EventOutcome, SignatureVerdict, WebhookDelivery
from crm_integrations.salesforce import outbound
from crm_integrations.services import upsert_organization_integration

FIXTURES = Path(__file__).parent / "fixtures"
SANDBOX_ORG = "00DSB00000000012AA"
OTHER_ORG = "00D0000000000OTHER"
URL = "/api/v1/integrations/salesforce/outbound"


def payload(name: str) -> str:
    return json.loads((FIXTURES / f"{name}.json").read_text())["payload"]


def post(client, body: str | bytes):
    return client.post(URL, data=body, content_type="text/xml; charset=utf-8", headers={"SOAPAction": '""'})


@pytest.fixture
def connected(organization, offline_settings):
    return upsert_organization_integration(
        organization,
        "salesforce",
        "sandbox",
        status="connected",
        external_account_id=SANDBOX_ORG,
        access_token="unused",
        refresh_token="unused",
        settings={"instance_url": "https://acme.my.salesforce.test"},
    )


def test_the_route_is_the_provider_s_own():
    assert reverse("crm_integrations:salesforce_api:outbound") == URL


def test_a_connected_org_s_message_is_stored_whole_acked_and_its_leads_queued(client, connected):
    body = payload("leads_batched")

    response = post(client, body)
    delivery = WebhookDelivery.objects.get()
    processing.process(delivery.pk)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == outbound.ACK and "<Ack>true</Ack>" in outbound.ACK
    assert (delivery.status, delivery.signature, delivery.account_id) == (
        DeliveryStatus.QUEUED,
        SignatureVerdict.VALID,
        SANDBOX_ORG,
    )
    assert delivery.body == body and not delivery.body_truncated
    events = sorted(delivery.events.values_list("object_id", "outcome"))
    assert events == [
        ("00QSB0000000102AAA", EventOutcome.PENDING),
        ("00QSB0000000103AAA", EventOutcome.PENDING),
    ]


def test_salesforce_s_retry_of_the_same_message_creates_no_second_event(client, connected):
    for _ in range(2):
        assert post(client, payload("lead_created")).status_code == 200
    first, retry = WebhookDelivery.objects.order_by("pk")

    processing.process(first.pk)
    processing.process(retry.pk)

    outcomes = [event.outcome for event in retry.events.all()]
    assert outcomes == [EventOutcome.DUPLICATE]


def test_a_message_from_an_org_no_organization_connected_is_refused_and_recorded(client, connected):
    body = payload("lead_created").replace(SANDBOX_ORG, OTHER_ORG)

    response = post(client, body)

    delivery = WebhookDelivery.objects.get()
    assert response.status_code == 403 and b"<Ack>" not in response.content
    assert (delivery.status, delivery.signature, delivery.response_status) == (
        DeliveryStatus.REJECTED,
        SignatureVerdict.INVALID,
        403,
    )
    assert OTHER_ORG in delivery.status_detail and not delivery.events.exists()


XML_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<lolz>&lol3;</lolz>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">&xxe;</soapenv:Envelope>'
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("<soapenv:Envelope><unclosed>", id="malformed"),
        pytest.param(XML_BOMB, id="xml-bomb"),
        pytest.param(EXTERNAL_ENTITY, id="external-entity"),
        pytest.param('{"not": "xml"}', id="json"),
        pytest.param("<a>not an outbound message</a>", id="another-document"),
    ],
)
def test_bad_xml_is_refused_with_400_and_recorded_not_stored_whole(client, connected, body):
    response = post(client, body)

    delivery = WebhookDelivery.objects.get()
    assert response.status_code == 400 and b"<Ack>" not in response.content
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.REJECTED, 400)
    assert "Malformed Outbound Message" in delivery.status_detail and not delivery.events.exists()


def test_more_than_100_notifications_is_malformed(client, connected):
    one = payload("lead_created")
    start, end = one.index("<Notification>"), one.index("</Notification>") + len("</Notification>")
    body = one[:start] + one[start:end] * 101 + one[end:]

    assert post(client, body).status_code == 400


def test_an_oversize_body_is_refused_with_413_and_only_its_head_kept(client, connected, settings):
    settings.SALESFORCE_OUTBOUND_MAX_BYTES = 2048
    body = payload("lead_created").replace(
        "<sf:Company>Acme</sf:Company>", "<sf:Company>" + "A" * 5000 + "</sf:Company>"
    )

    response = post(client, body)

    delivery = WebhookDelivery.objects.get()
    assert response.status_code == 413
    assert (delivery.status, delivery.body_truncated, delivery.body_size) == (
        DeliveryStatus.REJECTED,
        True,
        len(body),
    )
    assert len(delivery.body) <= 2048 and not delivery.events.exists()


def test_only_post_is_taken(client):
    assert client.get(URL).status_code == 405
