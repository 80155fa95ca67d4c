"""A lead created in the HubSpot sandbox ends up with the right owner there: by webhook and by poll,
through the real pipeline (signed webhook → intake → routing → batched owner write-back)."""

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from crm_integrations.intake import polling
from crm_integrations.models import WebhookEvent
from devtools.demo.rules import starter_rules
from field_mapping.models import Lead
from routing import writeback
from routing.models import Decision, JourneyEvent, OwnerWrite, RepIdentity, RoutingPolicy
from routing.reps_sync import sync_reps
from tests.field_mapping.test_receivers_end_to_end import EVENTS_PATH, create_lead_as_a_user


@pytest.fixture
def routed(hubspot_connection, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's part (write-back flush) runs inline
    # Polling stays 30 s behind HubSpot's search index; these leads were created a moment ago.
    monkeypatch.setattr("crm_integrations.hubspot.search.ChangeFeed.lag_seconds", 0)
    starter_rules(hubspot_connection.organization)
    sync_reps(hubspot_connection)
    return hubspot_connection


def read_record(sandbox, object_type: str, record_id: str) -> dict:
    """A record as HubSpot's API shows it (read with a token of its own, outside our client)."""
    response = requests.get(
        f"{sandbox.base_url}/crm/v3/objects/{object_type}/{record_id}",
        params={"properties": "hubspot_owner_id,hs_task_subject,hs_timestamp"},
        headers={"Authorization": f"Bearer {sandbox.control.access_token()}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def sandbox_owner(sandbox, lead_id: str, timeout: float = 10.0) -> str:
    """The lead's owner at the sandbox, waiting for the write-back to land."""
    deadline = time.monotonic() + timeout
    while True:
        properties = read_record(sandbox, "leads", lead_id)["properties"]
        owner = properties.get("hubspot_owner_id") or ""
        if owner or time.monotonic() > deadline:
            return owner
        time.sleep(0.1)


def owner_of_decision(lead: Lead) -> str:
    decision = Decision.objects.get(lead=lead, is_current=True)
    return RepIdentity.objects.get(rep=decision.rep, connection=lead.connection).external_id


def decided_owners(connection) -> dict[str, str]:
    """Our decision for each of the connection's leads: lead id -> the owner id we chose."""
    return {lead.external_id: owner_of_decision(lead) for lead in Lead.objects.filter(connection=connection)}


def sandbox_owners(sandbox, lead_ids: list[str]) -> dict[str, str]:
    """Each lead's owner as HubSpot's API shows it (batch reads with a token of its own)."""
    headers = {"Authorization": f"Bearer {sandbox.control.access_token()}"}
    owners: dict[str, str] = {}
    for first in range(0, len(lead_ids), 100):  # HubSpot reads at most 100 records a call
        response = requests.post(
            f"{sandbox.base_url}/crm/v3/objects/leads/batch/read",
            json={
                "properties": ["hubspot_owner_id"],
                "inputs": [{"id": lead_id} for lead_id in lead_ids[first : first + 100]],
            },
            headers=headers,
            timeout=10,
        )
        response.raise_for_status()
        for record in response.json()["results"]:
            owners[record["id"]] = record["properties"].get("hubspot_owner_id") or ""
    return owners


@pytest.mark.django_db(transaction=True)
def test_a_lead_created_in_hubspot_gets_its_owner_written_back_via_webhook(
    routed, hubspot_sandbox, live_server, settings
):
    settings.ALLOWED_HOSTS = ["*"]
    hubspot_sandbox.control.configure_webhooks(targetUrl=f"{live_server.url}{EVENTS_PATH}")

    lead_id = create_lead_as_a_user(hubspot_sandbox, "grace@hopper.example")
    assert hubspot_sandbox.control.wait_for_deliveries(timeout=15)

    lead = Lead.objects.get(connection=routed, external_id=lead_id)
    owner = sandbox_owner(hubspot_sandbox, lead_id)
    assert owner and owner == owner_of_decision(lead)
    write = OwnerWrite.objects.get(decision__lead=lead)
    assert write.status == "written" and write.latency_ms is not None
    kinds = list(JourneyEvent.objects.filter(lead=lead).values_list("kind", flat=True))
    # (this contact has no company: company/industry stay empty, a warning on the lead, not an error)
    assert kinds[:4] == ["received", "mapped", "routed", "written"]
    assert {warning["field"] for warning in lead.mapping_warnings} == {"company", "industry"}
    received = JourneyEvent.objects.get(lead=lead, kind="received")
    assert received.detail["debugger"].endswith(f"?q={lead_id}")
    # Our own write comes back as a property change: recognised as an echo, not read or routed again.
    assert hubspot_sandbox.control.wait_for_deliveries(timeout=15)
    echo = WebhookEvent.objects.get(object_id=lead_id, property_name="hubspot_owner_id")
    assert (echo.outcome, echo.outcome_detail) == ("ignored", "our own write of hubspot_owner_id coming back")
    assert Decision.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_lead_created_in_hubspot_gets_its_owner_written_back_via_polling(routed, hubspot_sandbox):
    lead_id = create_lead_as_a_user(hubspot_sandbox, "katherine@johnson.example")

    polling.poll(routed, "leads", since=timezone.now() - timedelta(minutes=5))

    lead = Lead.objects.get(connection=routed, external_id=lead_id)
    assert lead.received_via == "poll"
    owner = sandbox_owner(hubspot_sandbox, lead_id)
    assert owner and owner == owner_of_decision(lead)


@pytest.mark.django_db(transaction=True)
def test_a_burst_is_written_back_in_batch_calls(routed, hubspot_sandbox):
    created = {create_lead_as_a_user(hubspot_sandbox, f"burst-{n}@example.com") for n in range(150)}
    hubspot_sandbox.control.clear_requests()

    polling.poll(routed, "leads", since=timezone.now() - timedelta(minutes=5))

    written = OwnerWrite.objects.filter(status="written")
    updates = hubspot_sandbox.control.requests(
        path_prefix="/crm/v3/objects/leads/batch/update", method="POST"
    )
    assert written.count() == 150
    assert len(updates) == 2  # one poll page of 100 leads, then 50: one batch call each
    # Every lead, not a sample: HubSpot shows the owner we decided on, and round robin spread the
    # burst over several reps (so a write landing on the wrong lead would show here).
    decided = decided_owners(routed)
    assert set(decided) == created
    assert sandbox_owners(hubspot_sandbox, sorted(created)) == decided
    assert len(set(decided.values())) > 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_back_is_retried_with_backoff_and_shown_until_it_lands(routed, hubspot_sandbox):
    hubspot_sandbox.control.set_faults(
        error_share=1.0, error_statuses=[503], path_prefix="/crm/v3/objects/leads/batch/update"
    )
    lead_id = create_lead_as_a_user(hubspot_sandbox, "dorothy@vaughan.example")

    polling.poll(routed, "leads", since=timezone.now() - timedelta(minutes=5))

    write = OwnerWrite.objects.get(record_id=lead_id)
    assert write.status == "retrying" and write.attempts == 1 and write.next_attempt_at > timezone.now()
    assert "503" in write.last_error or "Unavailable" in write.last_error
    failed = JourneyEvent.objects.get(lead__external_id=lead_id, kind="write_failed")
    assert "retrying at" in failed.summary
    assert sandbox_owner(hubspot_sandbox, lead_id, timeout=0) == ""

    hubspot_sandbox.control.clear_faults()
    assert writeback.flush_everything_due() == 0  # not due yet: the backoff holds
    OwnerWrite.objects.filter(pk=write.pk).update(next_attempt_at=timezone.now())
    assert writeback.flush_everything_due() == 1

    write.refresh_from_db()
    assert write.status == "written" and write.attempts == 2
    assert sandbox_owner(hubspot_sandbox, lead_id) == write.owner_external_id


@pytest.mark.django_db(transaction=True)
def test_the_rep_gets_a_follow_up_task_in_hubspot(routed, hubspot_sandbox):
    RoutingPolicy.objects.filter(organization=routed.organization).update(
        create_tasks=True, task_due_minutes=30
    )
    lead_id = create_lead_as_a_user(hubspot_sandbox, "mary@jackson.example")

    polling.poll(routed, "leads", since=timezone.now() - timedelta(minutes=5))

    write = OwnerWrite.objects.get(record_id=lead_id)
    assert write.task_status == "created" and write.task_id
    task = read_record(hubspot_sandbox, "tasks", write.task_id)["properties"]
    assert task["hubspot_owner_id"] == write.owner_external_id
    assert task["hs_task_subject"].startswith("Follow up:")
