"""POST /api/v1/integrations/hubspot/webhook: stored first, authenticated, the organization checked
against the portal's connection; each answer picked for HubSpot's retry rules, each one recorded."""

from __future__ import annotations

import hashlib
import json
from unittest import mock

import pytest

from crm_integrations.intake import deliveries, processing
from crm_integrations.intake.workflow_secrets import issue_workflow_secret
from crm_integrations.models import Organization, WebhookDelivery, WebhookEvent
from crm_integrations.services import upsert_organization_integration
from crm_integrations.signals import Outcome, workflow_record_requested

from .conftest import PORTAL, deal_body, post_workflow, workflow_url


@pytest.fixture
def connection(organization):
    """The portal's connection, with a workflow secret issued (``.workflow_secret``)."""
    connection = upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", external_account_id=PORTAL, access_token="t"
    )
    secret = issue_workflow_secret(connection)
    connection.refresh_from_db()
    connection.workflow_secret = secret
    return connection


def post(client, connection, url, body, **options):
    """As the connection's workflow action sends it: its secret header and the v2 signature."""
    return post_workflow(client, url, body, workflow_secret=connection.workflow_secret, **options)


@pytest.fixture
def queued():
    with mock.patch("crm_integrations.intake.tasks.process_webhook_delivery.delay") as delay:
        yield delay


@pytest.fixture
def contracts_intake():
    """Stands in for the contracts app: records the deals it is asked for."""
    from contracts.receivers import on_workflow_record_requested

    asked = []

    def receiver(sender, connection, object_type, external_id, delivery_id, source, **kwargs):
        asked.append((connection.pk, object_type, external_id, delivery_id, source))
        return Outcome("ingested", "contract created", f"contract:{external_id}")

    workflow_record_requested.disconnect(dispatch_uid="contracts.deals")
    workflow_record_requested.connect(receiver, dispatch_uid="test-contracts")
    yield asked
    workflow_record_requested.disconnect(dispatch_uid="test-contracts")
    workflow_record_requested.connect(on_workflow_record_requested, dispatch_uid="contracts.deals")


def recorded() -> tuple:
    delivery = WebhookDelivery.objects.get()
    return delivery.kind, delivery.signature, delivery.status, delivery.response_status


def test_a_signed_request_is_stored_raw_answered_200_and_queued(
    client, connection, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, connection, workflow_url(connection.organization_id), deal_body(9001))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    delivery = WebhookDelivery.objects.get()
    assert recorded() == ("workflow", "valid", "queued", 200)
    assert json.loads(delivery.body)["id"] == "9001"
    assert (delivery.account_id, delivery.organization_id) == (PORTAL, connection.organization_id)
    assert delivery.headers["X-Hubspot-Signature"] == "[redacted]"
    queued.assert_called_once_with(delivery.pk)


def test_processing_asks_the_app_above_once_per_request(client, connection, queued, contracts_intake):
    url = workflow_url(connection.organization_id)
    post(client, connection, url, deal_body(9001))
    post(client, connection, url, deal_body(9001))  # HubSpot's retry: the same request
    first, second = WebhookDelivery.objects.order_by("pk")

    assert processing.process(first.pk) == {"ingested": 1}
    assert processing.process(second.pk) == {"duplicate": 1}
    assert contracts_intake == [(connection.pk, "deals", "9001", first.pk, "webhook")]
    event = WebhookEvent.objects.get(delivery=first)
    assert (event.event_type, event.object_type, event.result_ref) == (
        "workflow.deals",
        "deals",
        "contract:9001",
    )
    first.refresh_from_db()
    assert (first.status, first.status_detail) == ("processed", "1 ingested")


def test_a_changed_deal_sent_again_is_asked_for_again(client, connection, queued, contracts_intake):
    url = workflow_url(connection.organization_id)
    post(client, connection, url, deal_body(9001))
    post(client, connection, url, deal_body(9001, dealname="Renamed"))
    for delivery in WebhookDelivery.objects.order_by("pk"):
        processing.process(delivery.pk)
    assert [asked[2] for asked in contracts_intake] == ["9001", "9001"]


def test_a_bad_signature_gets_401_and_only_a_short_record(client, connection, queued):
    url = workflow_url(connection.organization_id)
    body = deal_body(9001, note="x" * 10_000)

    response = post(client, connection, url, body, secret="nope")

    assert response.status_code == 401
    assert recorded() == ("workflow", "invalid", "rejected", 401)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status_detail == "Signature refused: v2 signature does not match."
    raw = json.dumps(body).encode()
    assert (delivery.body_size, delivery.body_sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    assert delivery.body_truncated and delivery.body.encode() == raw[: deliveries.REFUSED_BODY_KEPT]
    queued.assert_not_called()


def test_a_request_without_the_secret_gets_401_even_when_correctly_signed(client, connection, queued):
    """The app's signature is the same for every portal (and any portal's workflow can be made to
    sign with our app id): it must not choose the organization a request is for."""
    response = post_workflow(client, workflow_url(connection.organization_id), deal_body(9001))

    assert response.status_code == 401
    assert recorded() == ("workflow", "missing", "rejected", 401)
    assert "X-Workflow-Secret" in WebhookDelivery.objects.get().status_detail
    queued.assert_not_called()


def test_the_secret_alone_authenticates_an_unsigned_request(client, connection, queued):
    response = post(client, connection, workflow_url(connection.organization_id), deal_body(1), secret=None)
    assert response.status_code == 200
    assert recorded() == ("workflow", "valid", "queued", 200)


def test_another_organization_gets_403_and_is_recorded(client, connection, queued):
    other = Organization.objects.create(name="Globex", slug="globex")

    response = post(client, connection, workflow_url(other.pk), deal_body(9001))

    assert response.status_code == 403
    assert recorded() == ("workflow", "valid", "rejected", 403)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status_detail == f"Organization {other.pk} does not own HubSpot account {PORTAL}."
    assert delivery.organization_id is None
    queued.assert_not_called()


def test_a_refused_request_is_never_processed_not_even_by_a_replay(client, connection, contracts_intake):
    """A replay must not get round the organization check that refused the request."""
    other = Organization.objects.create(name="Globex", slug="globex")
    with mock.patch("crm_integrations.intake.tasks.process_webhook_delivery.delay"):
        post(client, connection, workflow_url(other.pk), deal_body(9001))
    delivery = WebhookDelivery.objects.get()

    assert not processing.replayable(delivery)
    assert processing.replay(delivery.pk) == {"skipped": 1}
    assert contracts_intake == [] and not WebhookEvent.objects.exists()
    assert WebhookDelivery.objects.get().status == "rejected"


@pytest.mark.parametrize(
    ("url", "body", "detail"),
    [
        ("org", b"{oops", "the body is not JSON"),
        ("org", {"properties": {}}, "no deal id"),
        ("no-org", deal_body(1), "no 'organization'"),
    ],
)
def test_a_malformed_request_gets_400(client, connection, queued, url, body, detail):
    base = "http://testserver/api/v1/integrations/hubspot/webhook"
    urls = {
        "org": workflow_url(connection.organization_id),
        "no-org": f"{base}?account={PORTAL}",
    }
    response = post(client, connection, urls[url], body)
    assert response.status_code == 400
    assert detail in WebhookDelivery.objects.get().status_detail


def test_an_oversize_body_gets_413_and_is_recorded(client, connection, queued, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    response = post(
        client, connection, workflow_url(connection.organization_id), deal_body(1, note="x" * 500)
    )
    assert response.status_code == 413
    assert recorded() == ("workflow", "not_checked", "rejected", 413)


def test_a_crm_without_workflows_gets_404(client, connection, queued):
    url = "http://testserver/api/v1/integrations/monday/webhook?organization=1&account=2"
    assert post_workflow(client, url, deal_body(1)).status_code == 404
    assert WebhookDelivery.objects.get().provider == "monday"


# --- our secret header instead of the signature ---------------------------------------------------


def test_the_secret_header_authenticates_and_names_the_connection(client, connection, queued):
    secret = connection.workflow_secret
    url = workflow_url(connection.organization_id).split("&account=")[0]  # the secret says which portal

    response = post_workflow(
        client, url, deal_body(9001), secret=None, headers={"HTTP_X_WORKFLOW_SECRET": secret}
    )

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.signature, delivery.account_id, delivery.organization_id) == (
        "valid",
        PORTAL,
        connection.organization_id,
    )
    assert delivery.headers["X-Workflow-Secret"] == "[redacted]"


def test_a_wrong_secret_gets_401_even_with_a_good_signature(client, connection, queued):
    response = post_workflow(
        client,
        workflow_url(connection.organization_id),
        deal_body(1),
        headers={"HTTP_X_WORKFLOW_SECRET": "no"},
    )
    assert response.status_code == 401
    assert (
        WebhookDelivery.objects.get().status_detail
        == "Signature refused: X-Workflow-Secret matches no connection."
    )


def test_a_secret_used_for_another_organization_or_portal_gets_403(client, connection, queued):
    secret = connection.workflow_secret
    other = Organization.objects.create(name="Globex", slug="globex")
    header = {"HTTP_X_WORKFLOW_SECRET": secret}

    assert (
        post_workflow(client, workflow_url(other.pk), deal_body(1), secret=None, headers=header).status_code
        == 403
    )
    elsewhere = workflow_url(connection.organization_id, account="555")
    assert post_workflow(client, elsewhere, deal_body(1), secret=None, headers=header).status_code == 403
    assert [d.status_detail for d in WebhookDelivery.objects.order_by("pk")] == [
        f"Organization {other.pk} does not own HubSpot account {PORTAL}.",
        "The request names HubSpot account 555, which is not the secret's account.",
    ]
