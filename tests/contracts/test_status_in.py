"""Status in (contracts/status_in.py), against the HubSpot sandbox: a change made in HubSpot to the deal's
``lexicontract_status``, or a move to a deal stage mapped to a status, comes back to the contract;
our own writes do not bounce back (no ping-pong); a HubSpot change that crosses one of ours
resolves to the newest, on both sides."""

from __future__ import annotations

import time

import pytest

from contracts.admin import StageStatusForm
from contracts.models import Contract, StageStatus
from contracts.services import contract_status_set, contract_upsert_from_deal
from contracts.status_in import contract_statuses_from_crm
from contracts.tasks import reconcile_contract_statuses
from crm_integrations.models import EventOutcome, WebhookEvent

from .conftest import small_pdf_deal
from .test_status_out import PROPERTY, WRITES, calls, deal_status, written_values

EVENTS_PATH = "/api/v1/integrations/hubspot/events"
READS = "/crm/v3/objects/deals/batch/read"


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def contract(hubspot_connection, hubspot_sandbox, media) -> Contract:
    return contract_upsert_from_deal(
        connection=hubspot_connection, deal_id=small_pdf_deal(hubspot_sandbox)
    ).contract


@pytest.fixture
def pushed(contract, eager, hubspot_sandbox, django_capture_on_commit_callbacks) -> Contract:
    """The contract after a first status of ours reached the deal (the property exists)."""
    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(contract, "in_review", by="code")
    assert deal_status(hubspot_sandbox, contract.external_id) == "in_review"
    return contract


class HubSpotSide:
    """The deal as HubSpot has it, and a HubSpot user editing it (changeSource CRM_UI)."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox

    def status(self, contract: Contract) -> str | None:
        return deal_status(self.sandbox, contract.external_id)

    def history(self, contract: Contract) -> list[str]:
        return written_values(self.sandbox, contract.external_id)

    def writes(self) -> int:
        return calls(self.sandbox, WRITES)

    def user_sets(self, contract: Contract, **properties: str) -> None:
        time.sleep(0.01)  # the sandbox's clock has millisecond steps: keep the order of changes clear
        self.sandbox.control.update_record("deals", contract.external_id, properties)
        time.sleep(0.01)


@pytest.fixture
def hubspot(hubspot_sandbox) -> HubSpotSide:
    return HubSpotSide(hubspot_sandbox)


def take_in(contract: Contract, **kwargs) -> tuple[str, str]:
    outcome = contract_statuses_from_crm(contract.connection, [contract.external_id], **kwargs)[
        contract.external_id
    ]
    return outcome.outcome, outcome.detail


# --- status in ------------------------------------------------------------------------------------


def test_a_status_set_in_hubspot_comes_back_without_being_written_again(
    hubspot, pushed, django_capture_on_commit_callbacks
):
    writes = hubspot.writes()
    hubspot.user_sets(pushed, **{PROPERTY: "signed"})

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome, detail = take_in(pushed)

    assert outcome == EventOutcome.INGESTED, detail
    assert "“in_review” → “signed” via lexicontract_status (hubspot: CRM_UI userId:" in detail
    contract = Contract.objects.get(pk=pushed.pk)
    assert contract.negotiation_status == "signed"
    assert contract.status_changed_by.startswith("hubspot: CRM_UI userId:")
    assert (contract.status_version, contract.status_pushed_version, contract.sync_state) == (2, 2, "in_sync")
    assert not callbacks and hubspot.writes() == writes  # the deal shows it: nothing written back

    assert take_in(pushed)[0] == EventOutcome.IGNORED  # the same change again: nothing new
    assert Contract.objects.get(pk=pushed.pk).status_version == 2


def test_our_own_write_coming_back_is_not_a_change(pushed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome, detail = take_in(pushed)

    assert (outcome, detail) == (EventOutcome.IGNORED, "lexicontract_status was last set by us")
    contract = Contract.objects.get(pk=pushed.pk)
    assert (contract.status_version, contract.status_changed_by) == (1, "code")
    assert not callbacks


def test_a_deal_moved_to_a_mapped_stage_sets_the_status_and_the_property(
    hubspot, pushed, hubspot_connection, django_capture_on_commit_callbacks
):
    StageStatus.objects.create(connection=hubspot_connection, stage="closedwon", status="signed")
    hubspot.user_sets(pushed, dealstage="closedwon")

    with django_capture_on_commit_callbacks(execute=True):
        outcome, detail = take_in(pushed)

    assert outcome == EventOutcome.INGESTED
    assert "via deal stage closedwon" in detail and detail.endswith("written to lexicontract_status")
    contract = Contract.objects.get(pk=pushed.pk)
    assert (contract.negotiation_status, contract.sync_state) == ("signed", "in_sync")
    assert hubspot.status(contract) == "signed"  # the property follows the stage
    writes = hubspot.writes()

    with django_capture_on_commit_callbacks(execute=True):
        assert take_in(pushed) == (EventOutcome.IGNORED, "already “signed”")
    assert hubspot.writes() == writes


def test_a_stage_nobody_mapped_changes_nothing(hubspot, pushed, hubspot_connection):
    StageStatus.objects.create(connection=hubspot_connection, stage="closedwon", status="signed")
    hubspot.user_sets(pushed, dealstage="closedlost")

    outcome, detail = take_in(pushed)

    assert outcome == EventOutcome.IGNORED
    assert "deal stage closedlost maps to no status" in detail
    assert Contract.objects.get(pk=pushed.pk).negotiation_status == "in_review"


def test_the_stage_the_contract_was_made_at_does_not_count(contract, hubspot_connection):
    """The deal reached its stage before the contract existed: the new contract stays a draft."""
    deal_stage = contract.deal_snapshot["properties"]["dealstage"]
    StageStatus.objects.create(connection=hubspot_connection, stage=deal_stage, status="approved")

    outcome, detail = take_in(contract)

    assert outcome == EventOutcome.IGNORED and "kept “draft”" in detail
    assert Contract.objects.get(pk=contract.pk).negotiation_status == "draft"


def test_other_deal_changes_and_deals_without_contracts_read_nothing(hubspot, pushed):
    hubspot.sandbox.control.clear_requests()
    outcomes = contract_statuses_from_crm(
        pushed.connection,
        [pushed.external_id, "999999"],
        properties={pushed.external_id: {"amount"}, "999999": {PROPERTY}},
    )

    assert outcomes[pushed.external_id].outcome == EventOutcome.IGNORED
    assert outcomes[pushed.external_id].detail == "amount: not the contract's status"
    assert outcomes["999999"].detail == "no contract for this deal"
    assert not calls(hubspot.sandbox, READS)


# --- crossing changes ------------------------------------------------------------------------------


def test_our_newer_change_wins_over_an_older_one_made_in_hubspot(
    hubspot, pushed, django_capture_on_commit_callbacks
):
    hubspot.user_sets(pushed, **{PROPERTY: "signed"})  # its webhook is late ...
    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(pushed, "rejected", by="code")  # ... and we change the status after it

    outcome, detail = take_in(pushed)

    assert outcome == EventOutcome.IGNORED and "kept “rejected”" in detail
    assert Contract.objects.get(pk=pushed.pk).negotiation_status == "rejected"
    assert hubspot.status(pushed) == "rejected"


def test_a_newer_hubspot_change_wins_over_our_change_not_yet_written(
    hubspot, pushed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:  # our push has not run yet
        contract_status_set(pushed, "approved", by="code")
    hubspot.user_sets(pushed, **{PROPERTY: "cancelled"})

    with django_capture_on_commit_callbacks(execute=True):
        assert take_in(pushed)[0] == EventOutcome.INGESTED
    for callback in queued:  # now our push runs: it finds the status written already
        callback()

    contract = Contract.objects.get(pk=pushed.pk)
    assert (contract.negotiation_status, contract.sync_state) == ("cancelled", "in_sync")
    assert hubspot.status(pushed) == "cancelled"
    assert "approved" not in hubspot.history(pushed)  # our stale value never landed


def test_our_older_write_landing_after_a_newer_hubspot_change_is_undone(
    hubspot, pushed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        contract_status_set(pushed, "approved", by="code")  # changed here first ...
    hubspot.user_sets(pushed, **{PROPERTY: "signed"})  # ... then in HubSpot ...
    for callback in queued:  # ... and our write lands last, over the newer change
        callback()
    assert hubspot.status(pushed) == "approved"

    with django_capture_on_commit_callbacks(execute=True):
        outcome, detail = take_in(pushed)

    assert outcome == EventOutcome.INGESTED and detail.endswith("written to lexicontract_status")
    contract = Contract.objects.get(pk=pushed.pk)
    assert (contract.negotiation_status, contract.sync_state) == ("signed", "in_sync")
    assert hubspot.status(pushed) == "signed"  # both sides end on the newest change
    assert hubspot.history(pushed)[-3:] == ["signed", "approved", "signed"]


# --- through the webhook, end to end ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_hubspot_webhooks_bring_the_status_in_and_our_echo_is_ignored(
    hubspot, hubspot_connection, hubspot_sandbox, media, live_server, eager
):
    contract = contract_upsert_from_deal(
        connection=hubspot_connection, deal_id=small_pdf_deal(hubspot_sandbox)
    ).contract
    hubspot_sandbox.control.configure_webhooks(targetUrl=f"{live_server.url}{EVENTS_PATH}")

    contract_status_set(contract, "negotiating", by="code")  # written to the deal on commit
    assert hubspot_sandbox.control.wait_for_deliveries(timeout=15)
    echo = WebhookEvent.objects.get(object_id=contract.external_id, property_name=PROPERTY)
    assert echo.outcome == EventOutcome.IGNORED
    assert echo.outcome_detail == "our own write of lexicontract_status coming back"

    hubspot.user_sets(contract, **{PROPERTY: "approved"})
    assert hubspot_sandbox.control.wait_for_deliveries(timeout=15)

    contract.refresh_from_db()
    assert (contract.negotiation_status, contract.sync_state) == ("approved", "in_sync")
    event = WebhookEvent.objects.get(
        object_id=contract.external_id, property_name=PROPERTY, property_value="approved"
    )
    assert (event.outcome, event.result_ref) == (EventOutcome.INGESTED, f"contract:{contract.pk}")
    assert written_values(hubspot_sandbox, contract.external_id) == ["negotiating", "approved"]  # no pong


def test_the_reconcile_beat_finds_a_change_whose_webhook_never_came(
    hubspot, pushed, django_capture_on_commit_callbacks
):
    hubspot.user_sets(pushed, **{PROPERTY: "negotiating"})  # no webhook target: nothing is told

    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_contract_statuses()

    assert counts == {EventOutcome.INGESTED: 1}
    assert Contract.objects.get(pk=pushed.pk).negotiation_status == "negotiating"
    assert reconcile_contract_statuses() == {EventOutcome.IGNORED: 1}  # nothing new the second time


# --- the admin's stage mapping -----------------------------------------------------------------------


def test_a_stage_is_picked_by_name_and_checked_against_the_crm(hubspot_connection):
    form = StageStatusForm(
        data={"connection": hubspot_connection.pk, "stage": "closed WON", "status": "signed"}
    )
    assert form.is_valid(), form.errors
    mapping = form.save()
    assert (mapping.stage, mapping.stage_label, str(mapping)) == (
        "closedwon",
        "Closed Won",
        "Closed Won → Signed",
    )

    typo = StageStatusForm(
        data={"connection": hubspot_connection.pk, "stage": "Legal Reveiw", "status": "signed"}
    )
    assert not typo.is_valid()
    assert "The CRM has no deal stage “Legal Reveiw”. Its stages: " in typo.errors["stage"][0]
    assert "Contract Sent (contractsent)" in typo.errors["stage"][0]
