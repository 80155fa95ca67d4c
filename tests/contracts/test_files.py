"""A contract's files: downloaded once, checked, stored through the storage API, retried with backoff
when the file host fails, kept as refused or failed with the reason otherwise."""

from __future__ import annotations

import pytest

from contracts import file_rules
from contracts.files import contract_files_fetch
from contracts.models import Contract, ContractFile
from contracts.services import contract_upsert_from_deal
from contracts.tasks import fetch_contract_files

from .conftest import exe_and_pdf_deal, small_pdf_deal


@pytest.fixture
def fast_http(settings):
    """One try per call and a breaker that stays closed: each run of the service is one download try."""
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_ATTEMPTS": 1, "BREAKER_FAIL_MAX": 100}


def contract_for(connection, deal_id: str) -> Contract:
    return contract_upsert_from_deal(connection=connection, deal_id=deal_id).contract


def downloads(sandbox) -> list[dict]:
    return [entry for entry in sandbox.control.requests() if entry["path"].startswith("/hubfs/")]


def test_files_are_stored_once_however_often_the_contract_is_fetched(
    hubspot_connection, hubspot_sandbox, media
):
    contract = contract_for(hubspot_connection, exe_and_pdf_deal(hubspot_sandbox))

    first = contract_files_fetch(contract_id=contract.pk)
    hubspot_sandbox.control.clear_requests()
    again = contract_files_fetch(contract_id=contract.pk)

    assert first.states == again.states == {"refused": 1, "stored": 1} and first.retry_in is None
    assert str(first) == "1 refused, 1 stored"
    assert ContractFile.objects.filter(contract=contract).count() == 2
    assert downloads(hubspot_sandbox) == []  # nothing downloaded twice
    stored = ContractFile.objects.get(contract=contract, state="stored")
    assert (
        stored.file.name
        == f"contracts/{contract.organization_id}/{contract.pk}/{stored.external_id}-Quote-v2.pdf"
    )
    assert (media / stored.file.name).is_file()


def test_a_failing_download_is_tried_again_later_with_backoff_then_stored(
    hubspot_connection, hubspot_sandbox, media, fast_http, settings
):
    settings.CONTRACT_FILE_RETRY_SECONDS = 20
    contract = contract_for(hubspot_connection, small_pdf_deal(hubspot_sandbox))
    hubspot_sandbox.control.set_faults(errorShare=1.0, errorStatuses=[503], pathPrefix="/hubfs/")

    first = contract_files_fetch(contract_id=contract.pk)
    second = contract_files_fetch(contract_id=contract.pk)

    row = ContractFile.objects.get(contract=contract)
    assert (first.retry_in, second.retry_in) == (20, 40)  # the wait doubles
    assert (row.state, row.attempts) == ("pending", 2)
    assert row.state_reason.startswith("download 2 of 5 failed: ") and row.state_reason.endswith(
        "tried again later"
    )

    hubspot_sandbox.control.clear_faults()
    third = contract_files_fetch(contract_id=contract.pk)

    row.refresh_from_db()
    assert (third.states, third.retry_in) == ({"stored": 1}, None)
    assert (row.state, row.state_reason, row.attempts) == ("stored", "", 3)


def test_a_file_that_keeps_failing_is_marked_failed_with_the_last_error(
    hubspot_connection, hubspot_sandbox, media, fast_http, settings
):
    settings.CONTRACT_FILE_ATTEMPTS = 3
    settings.CONTRACT_FILE_RETRY_SECONDS = 0.01
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the task's retries run at once, one after another
    contract = contract_for(hubspot_connection, small_pdf_deal(hubspot_sandbox))
    hubspot_sandbox.control.set_faults(errorShare=1.0, errorStatuses=[502], pathPrefix="/hubfs/")

    fetch_contract_files.delay(contract.pk)

    row = ContractFile.objects.get(contract=contract)
    assert (row.state, row.attempts, bool(row.file)) == ("failed", 3, False)
    assert row.state_reason.startswith("download 3 of 3 failed: ")
    assert len(downloads(hubspot_sandbox)) == 3


def test_the_deal_sent_again_gives_failed_files_a_fresh_set_of_tries(
    hubspot_connection, hubspot_sandbox, media, fast_http, settings
):
    settings.CONTRACT_FILE_ATTEMPTS = 1
    deal_id = exe_and_pdf_deal(hubspot_sandbox)
    contract = contract_for(hubspot_connection, deal_id)
    hubspot_sandbox.control.set_faults(errorShare=1.0, errorStatuses=[503], pathPrefix="/hubfs/")
    assert contract_files_fetch(contract_id=contract.pk).states == {"failed": 1, "refused": 1}
    failed = ContractFile.objects.get(contract=contract, state="failed")
    hubspot_sandbox.control.clear_faults()

    result = contract_upsert_from_deal(connection=hubspot_connection, deal_id=deal_id)
    assert result.detail == "contract updated; 1 failed file(s) tried again"
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)
    assert ContractFile.objects.filter(contract=contract, state="refused").count() == 1  # stays refused

    assert contract_files_fetch(contract_id=contract.pk).states == {"refused": 1, "stored": 1}


def test_a_contract_is_made_before_its_files_and_they_follow_in_a_task(
    hubspot_connection, hubspot_sandbox, media, django_capture_on_commit_callbacks
):
    from unittest import mock

    with (
        mock.patch("contracts.tasks.fetch_contract_files.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = contract_upsert_from_deal(
            connection=hubspot_connection, deal_id=small_pdf_deal(hubspot_sandbox)
        )

    assert (result.created, result.detail) == (True, "contract created")
    queued.assert_called_once_with(result.contract.pk)
    assert not result.contract.files.exists()


def test_an_older_read_of_the_deal_does_not_roll_the_contract_back(hubspot_connection, hubspot_sandbox):
    deal_id = small_pdf_deal(hubspot_sandbox)
    contract = contract_for(hubspot_connection, deal_id)
    Contract.objects.filter(pk=contract.pk).update(
        title="Newer", deal_updated_at=contract.deal_updated_at.replace(year=2999)
    )

    result = contract_upsert_from_deal(connection=hubspot_connection, deal_id=deal_id)

    assert result.detail == "kept: a newer read of the deal is already stored"
    assert Contract.objects.get(pk=contract.pk).title == "Newer"


# --- the rules, without a CRM --------------------------------------------------------------------


def test_declared_type_and_size_are_checked_before_downloading(settings):
    settings.CONTRACT_FILE_MAX_BYTES = 1000
    assert file_rules.declared_refusal("application/pdf", 1000) == ""
    assert file_rules.declared_refusal("application/pdf", None) == ""  # the download still stops at the limit
    assert file_rules.declared_refusal("application/pdf", 1001) == (
        "1,001 bytes is more than the 1,000 bytes a contract file may have"
    )
    settings.CONTRACT_FILE_TYPES = ["application/pdf", "application/vnd.ms-excel"]
    assert file_rules.declared_refusal("application/x-msdownload", 10) == (
        "Not accepted for contracts: Windows program. Contracts accept PDF, application/vnd.ms-excel."
    )
    settings.CONTRACT_FILE_TYPES = ["application/x-msdownload"]
    assert file_rules.declared_refusal("application/x-msdownload", 10) == ""


@pytest.mark.parametrize(
    ("content_type", "content", "refused"),
    [
        ("application/pdf", b"%PDF-1.7 ...", False),
        ("application/pdf", b"MZ\x90\x00 a program named .pdf", True),
        ("image/png", b"\x89PNG\r\n\x1a\n...", False),
        ("image/jpeg", b"GIF89a", True),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04...", False),
        ("text/plain", b"Terms and conditions", False),
        ("text/plain", b"MZ\x00\x00", True),
    ],
)
def test_the_content_must_be_what_its_type_says(content_type, content, refused):
    assert bool(file_rules.content_refusal(content_type, content)) is refused
