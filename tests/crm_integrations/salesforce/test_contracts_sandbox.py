"""Opportunities to contracts against the Salesforce sandbox, through the real pipeline: an opportunity
moved to a contract stage by a person becomes a contract (by polling, and by a flow's Outbound
Message), its files stored byte for byte or refused with the reason; the contract's status reaches the
opportunity's ``LexiContract_Status__c``, a person's change there comes back, and our own write does
not (no ping-pong). Celery tasks run inline."""

from __future__ import annotations

import base64
import hashlib

import pytest

from contracts.models import Contract, StageStatus
from contracts.services import contract_status_set
from contracts.stage_intake import contract_deals_poll
from contracts.status_in import contract_statuses_from_crm
from crm_integrations.models import WebhookEvent
from crm_integrations.services import upsert_organization_integration

from .test_end_to_end import OUTBOUND_PATH

pytestmark = pytest.mark.django_db(transaction=True)

#: A rep: a person editing in Salesforce (the connection's own user is the admin, 005SB...01YAA).
REP = "005SB0000000002YAA"
STAGE = "Closed Won"
COLLECTIONS = "/services/data/v66.0/composite/sobjects"


@pytest.fixture
def contracts(connection, settings, tmp_path):
    """The connection turns opportunities reaching "Closed Won" into contracts; files go to a folder
    of the test's own."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return upsert_organization_integration(
        connection.organization,
        "salesforce",
        "sandbox",
        settings={**connection.settings, "contract_stages": [STAGE]},
    )


def opportunity_with_file(sandbox) -> tuple[str, dict]:
    """A seeded opportunity with a PDF ("Globex Corporation - Rollout"), and its ContentVersion."""
    records = sandbox.state.records
    opportunity = next(o for o in records["Opportunity"].values() if o["Name"].startswith("Globex"))
    link = next(
        k for k in records["ContentDocumentLink"].values() if k["LinkedEntityId"] == opportunity["Id"]
    )
    version = next(
        v for v in records["ContentVersion"].values() if v["ContentDocumentId"] == link["ContentDocumentId"]
    )
    return opportunity["Id"], version


def move_to_stage(sandbox, opportunity_id: str, stage: str = STAGE) -> None:
    sandbox.control.update_record("Opportunity", opportunity_id, {"StageName": stage}, userId=REP)


def attach(sandbox, opportunity_id: str, title: str, data: bytes) -> None:
    sandbox.control._call(
        "POST",
        "/files",
        json={"linkedEntityId": opportunity_id, "title": title, "base64": base64.b64encode(data).decode()},
    )


def test_an_opportunity_reaching_the_stage_becomes_a_contract_with_its_file_by_polling(contracts, sandbox):
    opportunity_id, version = opportunity_with_file(sandbox)
    move_to_stage(sandbox, opportunity_id)

    counts = contract_deals_poll()

    assert counts["connections"] == 1 and counts["deals"] >= 1
    contract = Contract.objects.get(organization=contracts.organization, external_id=opportunity_id)
    opportunity = sandbox.control.record("Opportunity", opportunity_id)
    assert (contract.provider, contract.title, contract.negotiation_status) == (
        "salesforce",
        opportunity["Name"],
        "draft",
    )
    account = sandbox.control.record("Account", opportunity["AccountId"])
    assert contract.amount == opportunity["Amount"] and contract.counterparty == account["Name"]
    assert contract.deal_snapshot["properties"]["StageName"] == STAGE
    [row] = contract.files.all()
    content = row.file.read()
    assert content == base64.b64decode(version["VersionData"]) and content.startswith(b"%PDF-")
    assert (row.state, row.external_id, row.name, row.content_type) == (
        "stored",
        version["Id"],
        version["Title"],
        "application/pdf",
    )
    assert row.checksum == hashlib.sha256(content).hexdigest() and row.size == len(content)
    # Other opportunities at other stages made no contract; polling again makes no second one.
    assert (
        not Contract.objects.exclude(external_id=opportunity_id)
        .filter(deal_snapshot__properties__StageName__in=["Prospecting", "Negotiation/Review"])
        .exists()
    )
    contract_deals_poll()
    assert Contract.objects.filter(external_id=opportunity_id).count() == 1


def test_an_opportunity_is_not_a_contract_before_the_stage(contracts, sandbox):
    opportunity_id, _ = opportunity_with_file(sandbox)
    move_to_stage(sandbox, opportunity_id, "Proposal/Price Quote")

    contract_deals_poll()

    assert not Contract.objects.filter(external_id=opportunity_id).exists()


def test_a_flows_outbound_message_makes_the_contract(contracts, sandbox, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    sandbox.control.configure_outbound(
        url=f"{live_server.url}{OUTBOUND_PATH}", leadEvents="off", opportunityStage=STAGE
    )
    opportunity_id, version = opportunity_with_file(sandbox)

    move_to_stage(sandbox, opportunity_id)
    assert sandbox.control.wait_for_outbound(timeout=15)

    deliveries = sandbox.control.outbound_deliveries()
    assert deliveries and all(delivery.get("acked") for delivery in deliveries), deliveries
    contract = Contract.objects.get(organization=contracts.organization, external_id=opportunity_id)
    event = WebhookEvent.objects.get(object_id=opportunity_id)
    assert (event.object_type, event.outcome, event.result_ref) == (
        "deals",
        "ingested",
        f"contract:{contract.pk}",
    )
    assert [row.file.read() for row in contract.files.all()] == [base64.b64decode(version["VersionData"])]


def test_a_refused_file_type_is_refused_with_the_reason(contracts, sandbox):
    opportunity_id, _ = opportunity_with_file(sandbox)
    attach(sandbox, opportunity_id, "installer.exe", b"MZ\x90\x00 a program")
    move_to_stage(sandbox, opportunity_id)

    contract_deals_poll()

    contract = Contract.objects.get(external_id=opportunity_id)
    files = {row.name: row for row in contract.files.all()}
    assert files["installer.exe"].state == "refused" and not files["installer.exe"].file
    assert files["installer.exe"].state_reason.startswith("Not accepted for contracts:")
    assert "application/" not in files["installer.exe"].state_reason  # a label, not a MIME code
    assert [row.state for name, row in files.items() if name != "installer.exe"] == ["stored"]


def test_a_file_over_the_size_cap_is_refused_before_its_bytes_are_read(contracts, sandbox, settings):
    settings.CONTRACT_FILE_MAX_BYTES = 64  # smaller than the seeded PDF, as Salesforce declares it
    opportunity_id, version = opportunity_with_file(sandbox)
    move_to_stage(sandbox, opportunity_id)

    contract_deals_poll()

    [row] = Contract.objects.get(external_id=opportunity_id).files.all()
    assert (row.state, row.size) == ("refused", version["ContentSize"]) and not row.file
    assert "is more than the 64 bytes a contract file may have" in row.state_reason
    assert not sandbox.control.requests(path_prefix="/services/data/v66.0/sobjects/ContentVersion")


def made_contract(contracts, sandbox) -> tuple[Contract, str]:
    opportunity_id, _ = opportunity_with_file(sandbox)
    move_to_stage(sandbox, opportunity_id)
    contract_deals_poll()
    return Contract.objects.get(external_id=opportunity_id), opportunity_id


def test_the_contracts_status_reaches_the_opportunity_and_does_not_come_back(contracts, sandbox):
    contract, opportunity_id = made_contract(contracts, sandbox)

    contract_status_set(contract, "in_review", by="admin:test")

    opportunity = sandbox.control.record("Opportunity", opportunity_id)
    assert opportunity["LexiContract_Status__c"] == "In Review"
    assert opportunity["LastModifiedById"] == contracts.settings["user_id"]
    contract.refresh_from_db()
    assert (contract.sync_state, contract.status_pushed_version) == ("in_sync", contract.status_version)
    writes = sandbox.control.requests(path_prefix=COLLECTIONS, method="PATCH")
    assert len(writes) == 1

    # Polled back (the beat's reconcile, a poll of changed opportunities): our own write, not a change.
    [outcome] = contract_statuses_from_crm(contracts, [opportunity_id]).values()
    contract_deals_poll()

    contract.refresh_from_db()
    assert outcome.outcome == "ignored" and contract.negotiation_status == "in_review"
    assert contract.status_changed_by == "admin:test" and contract.status_version == 1
    assert len(sandbox.control.requests(path_prefix=COLLECTIONS, method="PATCH")) == 1  # no ping-pong


def test_a_change_made_in_salesforce_comes_back_once(contracts, sandbox):
    contract, opportunity_id = made_contract(contracts, sandbox)
    contract_status_set(contract, "in_review", by="admin:test")
    writes_before = len(sandbox.control.requests(path_prefix=COLLECTIONS, method="PATCH"))

    sandbox.control.update_record(
        "Opportunity", opportunity_id, {"LexiContract_Status__c": "Approved"}, userId=REP
    )
    contract_deals_poll()

    contract.refresh_from_db()
    assert contract.negotiation_status == "approved"
    assert contract.status_changed_by == f"salesforce: user {REP}"
    assert contract.sync_state == "in_sync"  # the opportunity shows it: nothing is written back
    assert len(sandbox.control.requests(path_prefix=COLLECTIONS, method="PATCH")) == writes_before
    # Read again: the same change is not taken twice.
    contract_statuses_from_crm(contracts, [opportunity_id])
    contract.refresh_from_db()
    assert (contract.negotiation_status, contract.status_version) == ("approved", 2)


def test_a_stage_move_mapped_to_a_status_comes_back_and_is_written_to_the_picklist_once(contracts, sandbox):
    StageStatus.objects.create(connection=contracts, stage="Closed Lost", status="cancelled")
    contract, opportunity_id = made_contract(contracts, sandbox)
    contract_status_set(contract, "approved", by="admin:test")
    sandbox.control.update_record("Opportunity", opportunity_id, {"Amount": 90000}, userId=REP)  # not a stage

    move_to_stage(sandbox, opportunity_id, "Closed Lost")
    contract_deals_poll()

    contract.refresh_from_db()
    assert (contract.negotiation_status, contract.status_changed_by) == (
        "cancelled",
        f"salesforce: user {REP}",
    )
    # The picklist did not show it: the status is written there, once, and does not come back.
    assert sandbox.control.record("Opportunity", opportunity_id)["LexiContract_Status__c"] == "Cancelled"
    writes = len(sandbox.control.requests(path_prefix=COLLECTIONS, method="PATCH"))
    contract_deals_poll()
    contract_statuses_from_crm(contracts, [opportunity_id])
    contract.refresh_from_db()
    assert (contract.negotiation_status, contract.status_version) == ("cancelled", 2)
    assert len(sandbox.control.requests(path_prefix=COLLECTIONS, method="PATCH")) == writes == 2


def test_an_edit_after_a_stage_move_does_not_make_the_old_stage_look_new(contracts, sandbox):
    StageStatus.objects.create(connection=contracts, stage=STAGE, status="negotiating")
    contract, opportunity_id = made_contract(contracts, sandbox)  # made at "Closed Won": no status from it
    contract_status_set(contract, "signed", by="admin:test")

    sandbox.control.update_record("Opportunity", opportunity_id, {"Amount": 91000}, userId=REP)
    contract_deals_poll()

    contract.refresh_from_db()
    assert contract.negotiation_status == "signed"  # the stage was entered before the contract's change
