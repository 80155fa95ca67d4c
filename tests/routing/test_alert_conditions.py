"""Routing's alert condition (routing/alert_conditions.py): owner write-backs failing above the
threshold open one incident, with a link to the failed write-backs; below it, none; it resolves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.alerts import incidents
from crm_integrations.models import Incident
from routing.alert_conditions import writebacks_failing
from routing.models import Decision, DecisionOutcome, OwnerWrite

from . import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm(organization, settings):
    settings.ALERTS = {
        **settings.ALERTS,
        "WRITEBACK_WINDOW_MINUTES": 30,
        "WRITEBACK_MIN_FAILURES": 3,
        "WRITEBACK_FAILED_PERCENT": 20,
    }
    return make.hubspot_connection(organization)


def writes(crm, status: str, count: int, *, minutes_ago: float = 1) -> None:
    ann = make.rep(crm, f"Rep {status} {count} {minutes_ago}")
    for _ in range(count):
        lead = make.lead(crm)
        decision = Decision.objects.create(
            lead=lead, organization_id=lead.organization_id, outcome=DecisionOutcome.ASSIGNED, rep=ann
        )
        OwnerWrite.objects.create(
            decision=decision,
            connection=crm,
            object_type="leads",
            record_id=lead.external_id,
            owner_property="hubspot_owner_id",
            owner_external_id="1",
            status=status,
            created_at=timezone.now() - timedelta(minutes=minutes_ago),
        )


def test_failures_above_the_share_and_the_minimum_open_an_incident_once_then_resolve(crm):
    writes(crm, "written", 8)
    writes(crm, "failed", 2)
    writes(crm, "retrying", 1)
    writes(crm, "pending", 20)  # not tried yet: not counted
    assert incidents.evaluate()["opened"] == 1
    assert incidents.evaluate().get("opened", 0) == 0
    incident = Incident.objects.get(kind="writebacks_failing")
    assert incident.details.startswith(
        "3 of the 11 owners written back to HubSpot in the last 30 minutes failed (27%)."
    )

    OwnerWrite.objects.filter(status__in=["failed", "retrying"]).update(status="written")
    assert incidents.evaluate()["resolved"] == 1


def test_below_the_share_or_the_minimum_or_outside_the_window_is_no_incident(crm):
    now = timezone.now()
    writes(crm, "written", 20)
    writes(crm, "failed", 4)  # 4 of 24: 16%
    assert writebacks_failing(crm, now) is None
    writes(crm, "failed", 10, minutes_ago=45)  # before the window
    assert writebacks_failing(crm, now) is None


def test_too_few_failures_are_no_incident_whatever_the_share(crm):
    writes(crm, "failed", 2)
    assert writebacks_failing(crm, timezone.now()) is None


def test_the_fix_is_the_list_of_failed_write_backs_of_the_connection(crm):
    from crm_integrations.alerts import conditions

    label, url = conditions.condition_for("writebacks_failing").fix(crm)
    assert label == "Open the failed write-backs"
    assert url == f"/admin/routing/ownerwrite/?connection__id__exact={crm.pk}&status__exact=failed"
