"""Against the HubSpot sandbox: a deal reaches the stage, the sandbox's workflow action POSTs it to the
live server (signed v2), and the contract is made with its files; the worker's part runs inline."""

from __future__ import annotations

import hashlib

import pytest
import requests

from contracts.models import Contract, ContractFile
from crm_integrations.hubspot.config import hubspot_apps, hubspot_settings
from crm_integrations.hubspot.workflows import signature_v2
from crm_integrations.intake.workflow_secrets import SECRET_HEADER, issue_workflow_secret
from crm_integrations.models import Organization, WebhookDelivery, WebhookEvent

from .conftest import (
    PORTAL,
    SECRET,
    WORKFLOW_PATH,
    big_pdf_deal,
    enroll,
    exe_and_pdf_deal,
    small_pdf_deal,
    workflow_action,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app(hubspot_connection, hubspot_sandbox, live_server, settings, media):
    """The live server takes the sandbox's workflow webhooks; Celery tasks run inline."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.ALLOWED_HOSTS = ["*"]
    return hubspot_connection


def configure(sandbox, live_server, organization_id, *, connection, **extra) -> str:
    """The sandbox's workflow action at our endpoint, naming ``organization_id``, signed v2 and
    carrying ``connection``'s workflow secret (a fresh one) in a header unless ``extra`` says otherwise."""
    if "apiKey" not in extra:
        extra["apiKey"] = {
            "name": SECRET_HEADER,
            "value": issue_workflow_secret(connection),
            "location": "header",
        }
    action = workflow_action(f"{live_server.url}{WORKFLOW_PATH}", organization_id, **extra)
    sandbox.control.configure_workflows(actions=[action], retryDelays=[0.05] * 3)
    return extra["apiKey"]["value"]


def sent(sandbox) -> list[dict]:
    assert sandbox.control.wait_for_deliveries(timeout=30)
    return sandbox.control.deliveries("workflow")


def test_a_deal_reaching_the_stage_becomes_a_contract_with_its_files(app, hubspot_sandbox, live_server):
    deal_id = small_pdf_deal(hubspot_sandbox)
    configure(hubspot_sandbox, live_server, app.organization_id, connection=app)

    enroll(hubspot_sandbox, deal_id)

    [log] = sent(hubspot_sandbox)
    assert log["status"] == "delivered" and [a["status"] for a in log["attempts"]] == [200]
    contract = Contract.objects.get(organization=app.organization, external_id=deal_id)
    deal = hubspot_sandbox.state.portal().records["deals"][int(deal_id)].properties
    assert (contract.title, contract.provider, contract.negotiation_status) == (
        deal["dealname"],
        "hubspot",
        "draft",
    )
    assert str(contract.amount) == f"{deal['amount']}.00" and contract.currency == "USD"
    assert contract.counterparty and contract.counterparty in deal["dealname"]  # "<company> - <product>"
    assert contract.deal_snapshot["associated"]["companies"][0]["properties"]["name"] == contract.counterparty
    assert contract.deal_snapshot["associated"]["contacts"]
    assert (contract.sync_state, contract.connection_id) == ("in_sync", app.pk) and contract.last_synced_at
    delivery = WebhookDelivery.objects.get(kind="workflow")
    assert (delivery.signature, delivery.status, delivery.organization_id) == (
        "valid",
        "processed",
        app.organization_id,
    )
    assert contract.created_from_id == delivery.pk
    event = WebhookEvent.objects.get(delivery=delivery)
    assert (event.outcome, event.result_ref) == ("ingested", f"contract:{contract.pk}")

    [row] = contract.files.all()
    stored = hubspot_sandbox.state.portal().files[int(row.external_id)]
    content = row.file.read()
    assert (row.state, row.name, row.content_type) == ("stored", "Signed-order-form.pdf", "application/pdf")
    assert content == stored.content() and row.size == stored.size
    assert row.checksum == hashlib.sha256(content).hexdigest()


def test_the_same_webhook_twice_makes_one_contract(app, hubspot_sandbox, live_server):
    deal_id = small_pdf_deal(hubspot_sandbox)
    secret = configure(hubspot_sandbox, live_server, app.organization_id, connection=app)
    enroll(hubspot_sandbox, deal_id)
    sent(hubspot_sandbox)
    first = WebhookDelivery.objects.get(kind="workflow")
    hubspot_sandbox.control.clear_requests()

    # HubSpot sends the very same request again (as it does after a timeout): URL, body, signature.
    body = first.body.encode()
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-Version": "v2",
        "X-HubSpot-Signature": signature_v2(SECRET, "POST", first.url, body),
        SECRET_HEADER: secret,
    }
    answer = requests.post(first.url, data=body, headers=headers, timeout=30)

    assert answer.status_code == 200, answer.text
    assert Contract.objects.filter(external_id=deal_id).count() == 1
    assert ContractFile.objects.filter(contract__external_id=deal_id).count() == 1
    second = WebhookDelivery.objects.exclude(pk=first.pk).get(kind="workflow")
    event = WebhookEvent.objects.get(delivery=second)
    assert event.outcome == "duplicate" and event.duplicate_of.delivery_id == first.pk
    assert not hubspot_sandbox.control.requests()  # the deal is not read again, nor its files


def test_a_deal_moved_to_the_stage_again_updates_its_one_contract(app, hubspot_sandbox, live_server):
    deal_id = small_pdf_deal(hubspot_sandbox)
    configure(hubspot_sandbox, live_server, app.organization_id, connection=app)
    enroll(hubspot_sandbox, deal_id)
    sent(hubspot_sandbox)

    hubspot_sandbox.control.update_record("deals", deal_id, {"dealname": "Renamed deal", "amount": "777"})
    enroll(hubspot_sandbox, deal_id)
    sent(hubspot_sandbox)

    contract = Contract.objects.get(external_id=deal_id)
    assert (contract.title, str(contract.amount)) == ("Renamed deal", "777.00")
    assert WebhookEvent.objects.filter(outcome="ingested").count() == 2
    assert contract.files.count() == 1


def test_a_webhook_naming_another_organization_is_refused_and_recorded(app, hubspot_sandbox, live_server):
    other = Organization.objects.create(name="Globex", slug="globex")
    deal_id = small_pdf_deal(hubspot_sandbox)
    configure(hubspot_sandbox, live_server, other.pk, connection=app)

    enroll(hubspot_sandbox, deal_id)

    [log] = sent(hubspot_sandbox)
    assert [a["status"] for a in log["attempts"]] == [403] and log["status"] == "failed"  # not retried
    delivery = WebhookDelivery.objects.get(kind="workflow")
    assert (delivery.signature, delivery.status, delivery.response_status) == ("valid", "rejected", 403)
    assert delivery.status_detail == f"Organization {other.pk} does not own HubSpot account {PORTAL}."
    assert delivery.organization_id is None and not delivery.events.exists()
    assert not Contract.objects.exists()


def test_a_bad_signature_is_refused_with_401_and_recorded(app, hubspot_sandbox, live_server, settings):
    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {**hubspot_settings("sandbox"), "CLIENT_SECRET": "not-the-apps-secret"},
    }
    configure(hubspot_sandbox, live_server, app.organization_id, connection=app)

    enroll(hubspot_sandbox, small_pdf_deal(hubspot_sandbox))

    [log] = sent(hubspot_sandbox)
    assert [a["status"] for a in log["attempts"]] == [401]
    delivery = WebhookDelivery.objects.get(kind="workflow")
    assert (delivery.signature, delivery.status, delivery.response_status) == ("invalid", "rejected", 401)
    # refused, so kept short: its size, digest and first bytes, enough for the debugger
    assert delivery.body and '"dealstage":"contractsent"' in delivery.body and delivery.body_sha256
    assert not Contract.objects.exists()


def test_a_too_large_file_is_refused_and_the_contract_is_still_made(app, hubspot_sandbox, live_server):
    deal_id = big_pdf_deal(hubspot_sandbox)
    configure(hubspot_sandbox, live_server, app.organization_id, connection=app)

    enroll(hubspot_sandbox, deal_id)
    sent(hubspot_sandbox)

    [row] = Contract.objects.get(external_id=deal_id).files.all()
    assert (row.state, row.name, row.file.name) == ("refused", "Scanned-contract-full.pdf", "")
    assert row.state_reason == ("12.0 MB is more than the 10.0 MB a contract file may have")
    assert not [r for r in hubspot_sandbox.control.requests() if r["path"].startswith("/hubfs/")]


def test_a_forbidden_file_type_is_refused_beside_a_stored_pdf(app, hubspot_sandbox, live_server):
    deal_id = exe_and_pdf_deal(hubspot_sandbox)
    configure(hubspot_sandbox, live_server, app.organization_id, connection=app)

    enroll(hubspot_sandbox, deal_id)
    sent(hubspot_sandbox)

    files = {row.name: row for row in Contract.objects.get(external_id=deal_id).files.all()}
    assert files.keys() == {"installer.exe", "Quote-v2.pdf"}
    assert files["installer.exe"].state == "refused" and not files["installer.exe"].file
    assert files["installer.exe"].state_reason.startswith(
        "Not accepted for contracts: unidentified binary file. Contracts accept PDF, Word document"
    )
    assert files["Quote-v2.pdf"].state == "stored" and files["Quote-v2.pdf"].file.read().startswith(b"%PDF")


def test_an_action_with_our_secret_header_instead_of_a_signature(app, hubspot_sandbox, live_server):
    secret = issue_workflow_secret(app)
    key = {"name": SECRET_HEADER, "value": secret, "location": "header"}
    configure(
        hubspot_sandbox, live_server, app.organization_id, connection=app, signatureVersion=None, apiKey=key
    )
    deal_id = small_pdf_deal(hubspot_sandbox)

    enroll(hubspot_sandbox, deal_id)

    [log] = sent(hubspot_sandbox)
    assert [a["status"] for a in log["attempts"]] == [200]
    delivery = WebhookDelivery.objects.get(kind="workflow")
    assert delivery.signature == "valid" and delivery.headers[SECRET_HEADER] == "[redacted]"
    assert secret not in str(delivery.headers) and Contract.objects.filter(external_id=deal_id).exists()
