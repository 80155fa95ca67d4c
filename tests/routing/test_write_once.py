"""Owner write-backs and follow-up tasks land exactly once when the CRM's answers time out.

The sandbox's ``timeoutAfterWork`` fault carries a write out, then holds its answer past the
client's (short, in these tests) write read timeout: the write was applied, the client cannot
know. The sandbox's property history and request log count what really happened.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from crm_integrations.core.http import session as http_session
from crm_integrations.intake import polling
from devtools.demo.rules import starter_rules
from field_mapping import receivers
from routing import writeback
from routing.models import OwnerWrite, RoutingPolicy
from routing.reps_sync import sync_reps
from tests.field_mapping.test_monday_receivers import create_monday_lead
from tests.field_mapping.test_receivers_end_to_end import create_lead_as_a_user
from tests.routing.test_end_to_end import routed  # noqa: F401

from .test_end_to_end import owner_of_decision

LEAD_UPDATES = "/crm/v3/objects/leads/batch/update"
LEAD_READS = "/crm/v3/objects/leads/batch/read"
TASK_CREATES = "/crm/v3/objects/tasks/batch/create"
#: The client gives up after WRITE_TIMEOUT; the sandbox answers after HOLD (the write already done).
WRITE_TIMEOUT, HOLD = 0.3, 1.5


@pytest.fixture
def short_writes(settings):
    """A short write read timeout (so the test does not wait 5 s per timeout), one write a flush."""
    settings.CRM_HTTP = {**settings.CRM_HTTP, "WRITE_READ_TIMEOUT": WRITE_TIMEOUT, "BREAKER_FAIL_MAX": 100}
    settings.ROUTING_WRITEBACK_WINDOW = 0  # every poll's leads are flushed at once, in their own call


def owner_history(sandbox, lead_id: str) -> list[str]:
    """Every value written to the lead's owner, from the sandbox's property history."""
    record = sandbox.state.portal().records["leads"][int(lead_id)]
    return [entry.value for entry in record.history.get("hubspot_owner_id", [])]


def lead_tasks(sandbox, lead_id: str) -> list[str]:
    """The ids of the tasks associated with the lead, straight from the sandbox's associations API."""
    response = requests.get(
        f"{sandbox.base_url}/crm/v4/objects/leads/{lead_id}/associations/tasks",
        headers={"Authorization": f"Bearer {sandbox.control.access_token()}"},
        timeout=10,
    )
    response.raise_for_status()
    return [str(item["toObjectId"]) for item in response.json()["results"]]


def route_in_rounds(connection, sandbox, rounds: int, per_round: int) -> list[str]:
    """Leads created and polled in rounds: each round's owners go out in a batch update of their own."""
    lead_ids: list[str] = []
    for round_number in range(rounds):
        since = timezone.now() - timedelta(milliseconds=1)
        for n in range(per_round):
            lead_ids.append(create_lead_as_a_user(sandbox, f"r{round_number}-{n}@once.example"))
        polling.poll(connection, "leads", since=since)
    return lead_ids


@pytest.mark.django_db(transaction=True)
def test_owner_writes_land_once_when_half_the_batch_updates_time_out(routed, hubspot_sandbox, short_writes):  # noqa: F811
    hubspot_sandbox.control.set_faults(
        timeoutShare=0.5, timeoutSeconds=HOLD, timeoutAfterWork=True, pathPrefix=LEAD_UPDATES, seed=7
    )
    hubspot_sandbox.control.clear_requests()

    lead_ids = route_in_rounds(routed, hubspot_sandbox, rounds=6, per_round=5)

    updates = hubspot_sandbox.control.requests(path_prefix=LEAD_UPDATES, method="POST")
    timed_out = [entry for entry in updates if entry["fault"] == "timeout"]
    assert len(updates) == 6 and 0 < len(timed_out) < 6  # one call per round, some of them unanswered
    # Each unanswered call was followed by one read back of its leads, and by no second write.
    assert len(hubspot_sandbox.control.requests(path_prefix=LEAD_READS, method="POST")) >= len(timed_out)
    for lead_id in lead_ids:
        write = OwnerWrite.objects.get(record_id=lead_id)
        assert (write.status, write.attempts, write.outcome_unknown) == ("written", 1, False)
        assert owner_history(hubspot_sandbox, lead_id) == [owner_of_decision(write.decision.lead)]
    found = OwnerWrite.objects.filter(decision__journey_events__detail__found=True).distinct().count()
    assert found == 5 * len(timed_out)  # the journey says which were found in place after a timeout


@pytest.mark.django_db(transaction=True)
def test_a_write_that_timed_out_is_read_back_on_the_next_try_before_any_send(
    routed,  # noqa: F811
    hubspot_sandbox,
    short_writes,
    settings,
    monkeypatch,
):
    """The read back after the timeout times out too: the row retries, and its next try reads first."""
    lead_id = create_lead_as_a_user(hubspot_sandbox, "twice@once.example")
    with monkeypatch.context() as later:  # routed now, written below (under the faults)
        later.setattr(writeback, "request_flush", lambda connection_id: None)
        polling.poll(routed, "leads", since=timezone.now() - timedelta(minutes=5))
    settings.CRM_HTTP = {**settings.CRM_HTTP, "READ_TIMEOUT": WRITE_TIMEOUT, "MAX_ATTEMPTS": 1}
    hubspot_sandbox.control.set_faults(
        timeoutShare=1.0, timeoutSeconds=HOLD, timeoutAfterWork=True, pathPrefix="/crm/v3/objects/leads/batch"
    )

    assert writeback.flush(routed.pk) == 0

    write = OwnerWrite.objects.get(record_id=lead_id)
    assert (write.status, write.outcome_unknown) == ("retrying", True)
    assert write.last_error.startswith("OutcomeUnknown") and "reading back" in write.last_error

    hubspot_sandbox.control.clear_faults()
    hubspot_sandbox.control.clear_requests()
    OwnerWrite.objects.filter(pk=write.pk).update(next_attempt_at=timezone.now())
    assert writeback.flush_everything_due() == 1

    write.refresh_from_db()
    assert (write.status, write.outcome_unknown) == ("written", False)
    assert hubspot_sandbox.control.requests(path_prefix=LEAD_UPDATES) == []  # found in place: not sent
    assert owner_history(hubspot_sandbox, lead_id) == [write.owner_external_id]


@pytest.mark.django_db(transaction=True)
def test_one_task_per_assignment_when_task_creates_time_out(routed, hubspot_sandbox, short_writes):  # noqa: F811
    RoutingPolicy.objects.filter(organization=routed.organization).update(
        create_tasks=True, task_due_minutes=30
    )
    hubspot_sandbox.control.set_faults(
        timeoutShare=1.0, timeoutSeconds=HOLD, timeoutAfterWork=True, pathPrefix=TASK_CREATES
    )
    hubspot_sandbox.control.clear_requests()

    lead_ids = route_in_rounds(routed, hubspot_sandbox, rounds=1, per_round=4)

    assert len(hubspot_sandbox.control.requests(path_prefix=TASK_CREATES)) == 1  # never sent again
    for lead_id in lead_ids:
        write = OwnerWrite.objects.get(record_id=lead_id)
        tasks = lead_tasks(hubspot_sandbox, lead_id)
        assert len(tasks) == 1
        assert (write.task_status, write.task_id) == ("created", tasks[0])


@pytest.mark.django_db(transaction=True)
def test_monday_writes_follow_the_same_rule(monday_connection, monday_sandbox, settings, monkeypatch):
    """monday has no such fault: the transport sends the mutation, then loses its answer."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    starter_rules(monday_connection.organization)
    sync_reps(monday_connection)
    item_id = create_monday_lead(monday_sandbox, "ada@once.example")
    real_send = http_session.TimeoutSession.send
    lost: list[bytes] = []

    def answer_lost(self, request, **kwargs):
        response = real_send(self, request, **kwargs)
        if b"change_multiple_column_values" in (request.body or b"") and not lost:
            lost.append(request.body)
            raise requests.ReadTimeout("the answer never came")
        return response

    monkeypatch.setattr(http_session.TimeoutSession, "send", answer_lost)
    monday_sandbox.control.clear_requests()

    receivers.take_in(monday_connection, "items", [item_id], "webhook")

    write = OwnerWrite.objects.get(record_id=item_id)
    assert lost and (write.status, write.attempts) == ("written", 1)
    mutations = [
        entry
        for entry in monday_sandbox.control.requests()
        if "change_multiple_column_values" in (entry.get("fields") or [])
    ]
    assert len(mutations) == 1  # read back and found in place: not sent again


@pytest.mark.django_db(transaction=True)
def test_a_write_the_crm_holds_before_applying_is_not_sent_again_before_it_lands(
    routed,  # noqa: F811
    hubspot_sandbox,
    short_writes,
    settings,
):
    """The sandbox holds the batch update *before* carrying it out (HubSpot slow or queueing): the
    read back right after the timeout cannot find the owner yet. Sent again at once, the held update
    would land on top of it (the reliability drills' CRM-timeouts case). The row waits
    ``CRM_WRITE_SETTLE_SECONDS`` instead; its next try finds the owner in place and sends nothing."""
    settings.CRM_WRITE_SETTLE_SECONDS = HOLD + 1
    hubspot_sandbox.control.set_faults(timeoutShare=1.0, timeoutSeconds=HOLD, pathPrefix=LEAD_UPDATES)
    hubspot_sandbox.control.clear_requests()

    [lead_id] = route_in_rounds(routed, hubspot_sandbox, rounds=1, per_round=1)

    write = OwnerWrite.objects.get(record_id=lead_id)
    assert (write.status, write.outcome_unknown) == ("retrying", True)
    assert write.next_attempt_at >= timezone.now() + timedelta(seconds=HOLD - WRITE_TIMEOUT - 0.5)
    assert writeback.flush_everything_due() == 0  # not due yet: nothing is sent

    hubspot_sandbox.control.clear_faults()
    OwnerWrite.objects.filter(pk=write.pk).update(next_attempt_at=timezone.now())
    time_left = (HOLD + 0.5) - (timezone.now() - write.decision.decided_at).total_seconds()
    if time_left > 0:  # the held update lands HOLD after it was sent
        time.sleep(time_left)
    writeback.flush_everything_due()

    write.refresh_from_db()
    assert (write.status, write.outcome_unknown) == ("written", False)
    assert len(hubspot_sandbox.control.requests(path_prefix=LEAD_UPDATES, method="POST")) == 1
    assert owner_history(hubspot_sandbox, lead_id) == [owner_of_decision(write.decision.lead)]
