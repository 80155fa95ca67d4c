"""How a negotiation status change is recorded (contracts/services.py), without a CRM: every change
goes through ``contract_status_record``, which says who and when, bumps the version and queues one
push after the commit, none for a CRM change the deal already shows; the model
(contracts/models.py) has no side effects and refuses to save a changed status."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from contracts.models import Contract, StatusNotSaved
from contracts.services import contract_status_record, contract_status_set
from crm_integrations.models import Organization

DELAY = "contracts.tasks.push_contract_status.delay"


@pytest.fixture
def contract(organization: Organization) -> Contract:
    return Contract.objects.create(
        organization=organization, provider="hubspot", external_id="7", title="Deal 7"
    )


def stored(contract: Contract) -> Contract:
    return Contract.objects.get(pk=contract.pk)


def test_a_change_through_the_service_is_recorded_and_pushed_once_after_the_commit(
    contract, django_capture_on_commit_callbacks
):
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True) as callbacks:
        contract_status_set(contract, "in_review", by="api:mia")
        assert not delay.called  # nothing leaves before the commit

    assert len(callbacks) == 1
    delay.assert_called_once_with(contract.pk)
    row = stored(contract)
    assert (row.negotiation_status, row.status_version, row.status_pushed_version) == ("in_review", 1, 0)
    assert (row.status_changed_by, row.sync_state) == ("api:mia", "pending")
    assert row.sync_detail == "status “In review” to send to the CRM"
    # The caller's instance is read back, and can be saved again (its status is the stored one).
    assert (contract.negotiation_status, contract.status_version) == ("in_review", 1)
    contract.title = "Renamed"
    contract.save()
    assert (stored(contract).title, stored(contract).negotiation_status) == ("Renamed", "in_review")


def test_setting_the_status_it_has_records_and_pushes_nothing(contract, django_capture_on_commit_callbacks):
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True) as callbacks:
        contract_status_set(contract, "draft", by="code")
    assert not callbacks and not delay.called
    assert (stored(contract).status_version, stored(contract).status_changed_by) == (0, "")


def test_a_crm_change_the_deal_shows_is_recorded_and_not_pushed_back(
    contract, django_capture_on_commit_callbacks
):
    at = timezone.now() - timedelta(minutes=3)
    with (
        mock.patch(DELAY) as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        contract_status_record(locked, "signed", by="hubspot: CRM_UI", crm_changed_at=at, deal_shows_it=True)
    assert not callbacks and not delay.called  # no ping-pong
    row = stored(contract)
    assert (row.negotiation_status, row.status_version, row.status_pushed_version) == ("signed", 1, 1)
    assert (row.status_changed_at, row.status_changed_by, row.sync_state) == (
        at,
        "hubspot: CRM_UI",
        "in_sync",
    )
    assert row.last_synced_at > at


def test_a_crm_change_the_deal_does_not_show_is_pushed_once(contract, django_capture_on_commit_callbacks):
    at = timezone.now() - timedelta(minutes=3)
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        contract_status_record(locked, "approved", by="hubspot: stage", crm_changed_at=at)
    delay.assert_called_once_with(contract.pk)
    row = stored(contract)
    assert (row.status_version, row.status_pushed_version, row.sync_state) == (1, 0, "pending")
    assert row.sync_detail == "status “Approved” set at the CRM, to write to the deal"


def test_save_refuses_a_changed_status_and_writes_nothing(contract, django_capture_on_commit_callbacks):
    contract.negotiation_status = "signed"
    contract.title = "Renamed"
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(StatusNotSaved, match="contract_status_set"):
            contract.save()
        with pytest.raises(StatusNotSaved):
            stored(contract).save(update_fields=["status_version"])
    assert not callbacks
    row = stored(contract)
    assert (row.negotiation_status, row.title, row.status_version) == ("draft", "Deal 7", 0)


def test_a_deferred_status_set_without_reading_it_counts_as_a_change(contract):
    row = Contract.objects.defer("negotiation_status").get(pk=contract.pk)
    row.negotiation_status = "draft"  # unread, so it may differ from what is stored
    with pytest.raises(StatusNotSaved):
        row.save()


def test_a_stale_instance_saved_later_keeps_the_newer_status(contract):
    stale = Contract.objects.get(pk=contract.pk)
    contract_status_set(contract, "signed", by="code")

    stale.title = "Edited elsewhere"
    stale.save()  # its status is the one it was read with: not a change, and not written

    row = stored(contract)
    assert (row.title, row.negotiation_status, row.status_version) == ("Edited elsewhere", "signed", 1)


def test_a_queryset_update_is_a_plain_update(contract, django_capture_on_commit_callbacks):
    """Status changes go through the services; a bulk UPDATE is the database's, with no push."""
    with django_capture_on_commit_callbacks() as callbacks:
        Contract.objects.filter(pk=contract.pk).update(negotiation_status="rejected")
    assert not callbacks
    assert (stored(contract).negotiation_status, stored(contract).status_version) == ("rejected", 0)
