"""A lead created in the Salesforce sandbox ends up with the owner we decided there: by polling and by an
Outbound Message, through the real pipeline (intake → routing → sObject Collections write-back with
``Sforce-Auto-Assign: FALSE``). The sandbox's assignment rule gives every new lead to the "Inbound Leads"
queue: a placeholder owner, so the lead counts as unowned and is routed; had the rule run on our write,
the owner would be the queue again. A converted lead is not routed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.intake import polling
from devtools.demo.rules import starter_rules
from field_mapping.models import Lead
from routing.models import Decision, OwnerWrite, RepIdentity
from routing.reps_sync import sync_reps

INBOUND_QUEUE = "00GSB00000000012AA"
OUTBOUND_PATH = "/api/v1/integrations/salesforce/outbound"


@pytest.fixture
def routed(connection, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's part (write-back flush) runs inline
    starter_rules(connection.organization)
    assert sync_reps(connection).created > 0
    return connection


def create_lead(sandbox, email: str) -> str:
    """As a person (or web-to-lead) would: the org's assignment rule gives it to the queue."""
    created = sandbox.control.create_record(
        "Lead", {"LastName": "Hopper", "Company": "Compilers Inc", "Email": email, "LeadSource": "Web"}
    )
    lead_id = created.get("id") or created.get("Id")
    assert sandbox.control.record("Lead", lead_id)["OwnerId"] == INBOUND_QUEUE
    return lead_id


def decided_owner(connection, lead_id: str) -> str:
    decision = Decision.objects.get(lead__connection=connection, lead__external_id=lead_id, is_current=True)
    return RepIdentity.objects.get(rep=decision.rep, connection=connection).external_id


def sandbox_owner(sandbox, lead_id: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        owner = sandbox.control.record("Lead", lead_id)["OwnerId"]
        if owner != INBOUND_QUEUE or time.monotonic() > deadline:
            return owner
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_queue_owned_lead_is_routed_by_polling_and_the_assignment_rule_does_not_undo_it(routed, sandbox):
    lead_id = create_lead(sandbox, "grace@compilers.example")

    polling.poll(routed, "leads", since=timezone.now() - timedelta(minutes=5))

    lead = Lead.objects.get(connection=routed, external_id=lead_id)
    assert lead.received_via == "poll" and lead.source == "WEBSITE"
    owner = sandbox_owner(sandbox, lead_id)
    assert owner.startswith("005") and owner == decided_owner(routed, lead_id)
    assert OwnerWrite.objects.get(decision__lead=lead).status == "written"
    writes = sandbox.control.requests(path_prefix="/services/data/v66.0/composite/sobjects", method="PATCH")
    assert writes and all(entry["autoAssign"] == "FALSE" for entry in writes)


@pytest.mark.django_db(transaction=True)
def test_a_lead_is_routed_on_an_outbound_message(routed, sandbox, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    sandbox.control.configure_outbound(url=f"{live_server.url}{OUTBOUND_PATH}", leadEvents="create")

    lead_id = create_lead(sandbox, "ada@engines.example")
    assert sandbox.control.wait_for_outbound(timeout=15)

    lead = Lead.objects.get(connection=routed, external_id=lead_id)
    assert lead.received_via == "webhook"
    owner = sandbox_owner(sandbox, lead_id)
    assert owner.startswith("005") and owner == decided_owner(routed, lead_id)
    deliveries = sandbox.control.outbound_deliveries()
    assert deliveries and all(delivery.get("acked") for delivery in deliveries), deliveries


@pytest.mark.django_db(transaction=True)
def test_a_converted_lead_is_not_routed(routed, sandbox):
    lead_id = create_lead(sandbox, "katherine@johnson.example")
    sandbox.control.convert_lead(lead_id)

    polling.poll(routed, "leads", since=timezone.now() - timedelta(minutes=5))

    assert not Lead.objects.filter(connection=routed, external_id=lead_id).exists()
    assert sandbox.control.record("Lead", lead_id)["OwnerId"] == INBOUND_QUEUE
