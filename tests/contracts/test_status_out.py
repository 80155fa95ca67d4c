"""Status out (contracts/status_out.py), against the HubSpot sandbox: a contract's negotiation status
change (``contract_status_set``) is written to its deal's ``lexicontract_status`` by a task sent
after the commit; the property is created when missing; quick changes coalesce and no older write
lands after a newer one; failures retry with backoff and show on the contract. How a change is
recorded, without the sandbox: test_status_change.py."""

from __future__ import annotations

import itertools
import threading
import time
from unittest import mock

import pytest
import requests
from django.db import connection as db_connection
from django.db import transaction

from contracts import status_out
from contracts.models import Contract
from contracts.services import contract_status_set, contract_upsert_from_deal
from contracts.status_out import contract_status_push
from crm_integrations.intake import echoes
from tests.windows import Window, overlapping, recorded

from .conftest import small_pdf_deal

PROPERTY = "lexicontract_status"
WRITES = "/crm/v3/objects/deals/batch/update"


@pytest.fixture
def contract(hubspot_connection, hubspot_sandbox) -> Contract:
    """A contract of a sandbox deal (its files are not fetched: nothing commits here)."""
    return contract_upsert_from_deal(
        connection=hubspot_connection, deal_id=small_pdf_deal(hubspot_sandbox)
    ).contract


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def fast_http(settings):
    """One try per call and a breaker that stays closed: each push is one write try."""
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_ATTEMPTS": 1, "BREAKER_FAIL_MAX": 100}


def deal_status(sandbox, deal_id: str) -> str | None:
    """The deal's property as HubSpot's API shows it (a token of its own, outside our client)."""
    response = requests.get(
        f"{sandbox.base_url}/crm/v3/objects/deals/{deal_id}",
        params={"properties": PROPERTY},
        headers={"Authorization": f"Bearer {sandbox.control.access_token()}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["properties"].get(PROPERTY)


def written_values(sandbox, deal_id: str) -> list[str]:
    """Every value the deal's property took, oldest first (the sandbox's property history)."""
    history = sandbox.state.portal().records["deals"][int(deal_id)].history.get(PROPERTY, [])
    return [entry.value for entry in sorted(history, key=lambda entry: entry.timestamp_ms)]


def calls(sandbox, path: str, method: str = "POST") -> int:
    return len(sandbox.control.requests(path_prefix=path, method=method))


# --- status out ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_status_change_is_written_to_the_deal_once_the_transaction_commits(
    contract, hubspot_sandbox, eager
):
    hubspot_sandbox.control.clear_requests()
    with transaction.atomic():
        contract_status_set(contract, "in_review", by="code")
        assert not calls(hubspot_sandbox, WRITES)  # nothing leaves before the commit
        assert Contract.objects.get(pk=contract.pk).sync_state == "pending"

    assert deal_status(hubspot_sandbox, contract.external_id) == "in_review"
    contract.refresh_from_db()
    assert (contract.negotiation_status, contract.status_version, contract.status_pushed_version) == (
        "in_review",
        1,
        1,
    )
    assert (contract.sync_state, contract.sync_detail, contract.status_changed_by) == ("in_sync", "", "code")
    assert contract.last_synced_at >= contract.status_changed_at
    assert (contract.status_push_token, contract.status_push_until) == ("", None)  # lease released


def test_the_property_is_created_once_in_its_own_group_with_our_statuses(
    contract, hubspot_sandbox, eager, django_capture_on_commit_callbacks
):
    hubspot_sandbox.control.clear_requests()
    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(contract, "negotiating", by="code")
    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(contract, "approved", by="code")

    assert deal_status(hubspot_sandbox, contract.external_id) == "approved"
    assert calls(hubspot_sandbox, "/crm/v3/properties/deals/groups") == 1
    assert calls(hubspot_sandbox, "/crm/v3/properties/deals", "POST") == 2  # the group, the property
    # The first change: refused (no such property), property made sure of, written; the second: one call.
    assert calls(hubspot_sandbox, WRITES) == 3
    token = {"Authorization": f"Bearer {hubspot_sandbox.control.access_token()}"}
    prop = requests.get(
        f"{hubspot_sandbox.base_url}/crm/v3/properties/deals/{PROPERTY}", headers=token, timeout=10
    ).json()
    assert (prop["type"], prop["fieldType"], prop["groupName"], prop["label"]) == (
        "enumeration",
        "select",
        "lexicontract",
        "LexiContract status",
    )
    assert [(o["value"], o["label"]) for o in prop["options"]] == [
        ("draft", "Draft"),
        ("in_review", "In review"),
        ("negotiating", "Negotiating"),
        ("approved", "Approved"),
        ("signed", "Signed"),
        ("rejected", "Rejected"),
        ("cancelled", "Cancelled"),
    ]
    groups = requests.get(
        f"{hubspot_sandbox.base_url}/crm/v3/properties/deals/groups", headers=token, timeout=10
    ).json()["results"]
    assert {"name": "lexicontract", "label": "LexiContract"}.items() <= next(
        g for g in groups if g["name"] == "lexicontract"
    ).items()


def test_saving_without_a_status_change_sends_nothing(
    contract, hubspot_sandbox, eager, django_capture_on_commit_callbacks
):
    hubspot_sandbox.control.clear_requests()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        contract.title = "Renamed"
        contract.save()
        contract_status_set(contract, "draft", by="code")  # the status it has
    assert not callbacks and not hubspot_sandbox.control.requests()
    assert Contract.objects.get(pk=contract.pk).status_version == 0


def test_a_stale_instance_saved_later_rolls_neither_status_nor_version_back(
    contract, hubspot_sandbox, eager, django_capture_on_commit_callbacks
):
    stale = Contract.objects.get(pk=contract.pk)
    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(contract, "signed", by="code")

    stale.title = "Edited elsewhere"
    stale.save()  # its status ("draft" as loaded) is unchanged: not a status change

    contract.refresh_from_db()
    assert (contract.title, contract.negotiation_status) == ("Edited elsewhere", "signed")
    assert (contract.status_version, contract.status_pushed_version) == (1, 1)
    assert deal_status(hubspot_sandbox, contract.external_id) == "signed"


def test_our_write_is_remembered_as_an_echo(
    contract, hubspot_connection, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(contract, "approved", by="code")

    ours = echoes.Change("deals", contract.external_id, PROPERTY, "approved")
    theirs = echoes.Change("deals", contract.external_id, PROPERTY, "rejected")
    assert echoes.echoes(hubspot_connection.pk, [ours, theirs]) == {ours}


# --- quick changes, and two workers ---------------------------------------------------------------


def test_quick_changes_coalesce_into_the_last_status(
    contract, hubspot_sandbox, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(contract, "in_review", by="code")  # the property exists from here on
    hubspot_sandbox.control.clear_requests()

    with django_capture_on_commit_callbacks() as queued:  # three changes before any task runs
        for status in ("negotiating", "approved", "signed"):
            with transaction.atomic():
                contract_status_set(contract, status, by="code")
    assert len(queued) == 3
    for task in queued:
        task()

    assert deal_status(hubspot_sandbox, contract.external_id) == "signed"
    assert (
        calls(hubspot_sandbox, WRITES) == 1
    )  # the first task wrote the latest; the others had nothing to do
    assert written_values(hubspot_sandbox, contract.external_id) == ["in_review", "signed"]
    contract.refresh_from_db()
    assert (contract.status_version, contract.status_pushed_version) == (4, 4)


def test_a_change_during_a_write_is_written_after_it_never_before(contract, hubspot_sandbox, fast_http):
    """Worker A writes version 1; meanwhile the status changes (version 2) and worker B runs: B finds
    A's lease and steps back; A writes version 2 after its own. The deal never goes back to 1."""
    contract_status_set(contract, "in_review", by="code")
    real_write = status_out._write
    seen: dict[str, object] = {}

    def write_then_interleave(row: Contract, status: str, **options: bool) -> None:
        real_write(row, status, **options)
        if "b" not in seen:
            contract_status_set(contract, "approved", by="code")
            seen["b"] = contract_status_push(contract_id=contract.pk)

    with mock.patch.object(status_out, "_write", side_effect=write_then_interleave):
        a = contract_status_push(contract_id=contract.pk)

    b = seen["b"]
    assert b.written == () and b.retry_in is not None and b.retry_in > 200  # retried once the lease ends
    assert a.written == (1, 2) and a.retry_in is None
    assert written_values(hubspot_sandbox, contract.external_id) == ["in_review", "approved"]
    assert deal_status(hubspot_sandbox, contract.external_id) == "approved"
    contract.refresh_from_db()
    assert (contract.status_pushed_version, contract.sync_state) == (2, "in_sync")
    # B's retry, when it comes, has nothing left to do.
    assert contract_status_push(contract_id=contract.pk).written == ()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_end_on_the_latest_status(contract, hubspot_sandbox):
    """PostgreSQL: two workers push while the status keeps changing; writes are slow. The deal ends
    on the last status and its history never shows an older status after a newer one. Each push
    and each write (under the lease) is recorded: the workers did push at the same time, and their
    writes never did."""
    hubspot_sandbox.control.set_faults(slowShare=1.0, slowSeconds=0.2, pathPrefix=WRITES)
    statuses = ["in_review", "negotiating", "approved", "signed", "rejected"]
    stop = threading.Event()
    pushes: list[Window] = []
    writes: list[Window] = []
    real_write = status_out._write

    def write_recorded(row: Contract, status: str, **options: bool) -> None:
        with recorded(writes, threading.current_thread().name):
            real_write(row, status, **options)

    def worker() -> None:
        try:
            while not stop.is_set():
                with recorded(pushes, threading.current_thread().name):
                    contract_status_push(contract_id=contract.pk)
                time.sleep(0.01)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in range(2)]
    with mock.patch.object(status_out, "_write", side_effect=write_recorded):
        for thread in threads:
            thread.start()
        for status in statuses:
            contract_status_set(contract, status, by="code")
            time.sleep(0.15)
        deadline = time.monotonic() + 20
        while not Contract.objects.get(pk=contract.pk).status_in_sync and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join()

    assert deal_status(hubspot_sandbox, contract.external_id) == "rejected"
    values = written_values(hubspot_sandbox, contract.external_id)
    order = [statuses.index(value) for value in values]
    assert order == sorted(order) and values[-1] == "rejected"
    # The race happened: a worker was pushing while the other was writing (and stepped back).
    assert overlapping(pushes, writes), (pushes, writes)
    # The lease held: no two writes at once, by whichever workers.
    writes.sort(key=lambda window: window.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(writes)), writes


# --- failures -------------------------------------------------------------------------------------


def test_a_failure_shows_on_the_contract_and_a_later_try_succeeds(
    contract, hubspot_sandbox, fast_http, settings, hubspot_connection
):
    settings.CONTRACT_STATUS_RETRY_SECONDS = 10  # above the 8 s the HTTP layer suggests after a 5xx
    contract_status_set(contract, "approved", by="code")
    hubspot_sandbox.control.set_faults(
        errorShare=1.0, errorStatuses=[503], pathPrefix="/crm/v3/objects/deals"
    )

    first = contract_status_push(contract_id=contract.pk, attempt=1)
    second = contract_status_push(contract_id=contract.pk, attempt=2)

    assert (first.retry_in, second.retry_in) == (10, 20)  # the wait doubles
    contract.refresh_from_db()
    assert contract.sync_state == "failed"
    assert contract.sync_detail.startswith("Status “approved” not written yet: try 2 of 8 failed: ")
    assert "status=503" in contract.sync_detail and contract.sync_detail.endswith("tried again in 20 s.")
    assert hubspot_connection.access_token not in contract.sync_detail
    assert written_values(hubspot_sandbox, contract.external_id) == []

    hubspot_sandbox.control.clear_faults()
    third = contract_status_push(contract_id=contract.pk, attempt=3)

    assert third.written == (1,) and third.retry_in is None
    contract.refresh_from_db()
    assert (contract.sync_state, contract.sync_detail, contract.status_pushed_version) == ("in_sync", "", 1)
    assert deal_status(hubspot_sandbox, contract.external_id) == "approved"


def test_the_task_retries_then_gives_up_and_says_so(
    contract, hubspot_sandbox, fast_http, eager, settings, django_capture_on_commit_callbacks
):
    settings.CONTRACT_STATUS_ATTEMPTS = 3  # eager: the task's retries run at once, one after another
    hubspot_sandbox.control.set_faults(
        errorShare=1.0, errorStatuses=[502], pathPrefix="/crm/v3/objects/deals"
    )
    hubspot_sandbox.control.clear_requests()

    with django_capture_on_commit_callbacks(execute=True):
        contract_status_set(contract, "signed", by="code")

    assert calls(hubspot_sandbox, WRITES) == 3
    contract.refresh_from_db()
    assert (contract.sync_state, contract.status_pushed_version) == ("failed", 0)
    assert contract.sync_detail.startswith("Status “signed” not written: gave up after 3 tries: ")
    assert (contract.status_push_token, contract.status_push_until) == ("", None)


def test_a_refused_write_fails_at_once_with_the_reason(contract, hubspot_sandbox):
    contract_status_set(contract, "signed", by="code")
    portal = hubspot_sandbox.state.portal()
    portal.records["deals"].pop(int(contract.external_id))  # the deal is gone at HubSpot

    result = contract_status_push(contract_id=contract.pk)

    assert result.failed and result.retry_in is None and result.written == ()
    contract.refresh_from_db()
    assert contract.sync_state == "failed" and contract.sync_detail.startswith(
        "Status “signed” not written: "
    )


def test_a_contract_without_a_connection_shows_why(contract):
    Contract.objects.filter(pk=contract.pk).update(connection=None)
    contract_status_set(contract, "signed", by="code")

    result = contract_status_push(contract_id=contract.pk)

    contract.refresh_from_db()
    assert result.failed and contract.sync_state == "failed"
    assert contract.sync_detail == (
        "Status “signed” not written: "
        "The contract has no CRM connection to write its status to. code=unsupported"
    )


def test_an_unknown_status_is_refused(contract):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        contract_status_set(contract, "won", by="code")


# --- writes whose answer never comes --------------------------------------------------------------


@pytest.fixture
def short_writes(settings):
    """The client gives up on a write after 0.3 s (the sandbox answers after 1.5 s)."""
    settings.CRM_HTTP = {**settings.CRM_HTTP, "WRITE_READ_TIMEOUT": 0.3, "BREAKER_FAIL_MAX": 100}


def test_a_status_write_that_times_out_after_landing_is_read_back_not_written_again(
    contract, hubspot_sandbox, short_writes
):
    contract_status_set(contract, "in_review", by="code")
    contract_status_push(contract_id=contract.pk)  # the property exists from here on
    contract_status_set(contract, "approved", by="code")
    hubspot_sandbox.control.set_faults(
        timeoutShare=1.0, timeoutSeconds=1.5, timeoutAfterWork=True, pathPrefix=WRITES
    )
    hubspot_sandbox.control.clear_requests()

    result = contract_status_push(contract_id=contract.pk)

    assert result.written == (2,) and result.retry_in is None
    assert written_values(hubspot_sandbox, contract.external_id) == ["in_review", "approved"]  # once each
    assert calls(hubspot_sandbox, WRITES) == 1
    assert calls(hubspot_sandbox, "/crm/v3/objects/deals/batch/read") == 1  # read back instead
    contract.refresh_from_db()
    assert (contract.sync_state, contract.status_pushed_version) == ("in_sync", 2)


def test_the_next_try_after_an_unanswered_write_reads_the_deal_first(
    contract, hubspot_sandbox, short_writes, settings
):
    """The write lands unanswered and the read back fails: the task's next try reads before writing."""
    settings.CRM_HTTP = {**settings.CRM_HTTP, "READ_TIMEOUT": 0.3, "MAX_ATTEMPTS": 1}
    contract_status_set(contract, "in_review", by="code")
    contract_status_push(contract_id=contract.pk)  # the property exists from here on
    contract_status_set(contract, "signed", by="code")
    hubspot_sandbox.control.set_faults(
        timeoutShare=1.0, timeoutSeconds=1.5, timeoutAfterWork=True, pathPrefix="/crm/v3/objects/deals/batch"
    )

    unanswered = contract_status_push(contract_id=contract.pk)

    assert unanswered.retry_in is not None and not unanswered.written
    assert unanswered.unknown and "reading back a write that got no answer" in unanswered.detail
    hubspot_sandbox.control.clear_faults()
    hubspot_sandbox.control.clear_requests()
    retried = contract_status_push(contract_id=contract.pk, attempt=2, check_first=True)

    assert retried.written == (2,)
    assert calls(hubspot_sandbox, WRITES) == 0  # found on the deal: not written again
    assert written_values(hubspot_sandbox, contract.external_id) == ["in_review", "signed"]


def test_the_task_tells_its_next_try_to_read_back_first(contract, eager):
    """The task passes ``PushResult.unknown`` on to its retry as ``check_first``."""
    from contracts.tasks import push_contract_status

    answers = [
        status_out.PushResult("try 1 failed: no answer", retry_in=0, unknown=True),
        status_out.PushResult("try 2 failed: 503", retry_in=0),
        status_out.PushResult("written"),
    ]
    with mock.patch.object(status_out, "contract_status_push", side_effect=answers) as push:
        push_contract_status.delay(contract.pk)

    assert [(c.kwargs["attempt"], c.kwargs["check_first"]) for c in push.call_args_list] == [
        (1, False),
        (2, True),
        (3, False),
    ]
