"""The admin home's selectors (routing/dashboard.py): the setup checklist step by step, today's
figures, and each connection's next step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from field_mapping.models import FieldMapping
from routing import dashboard
from routing.assign import route_leads
from routing.models import OwnerWrite, WriteStatus

from . import factories as make

pytestmark = pytest.mark.django_db


def states(organization) -> dict[str, bool]:
    return {step.key: step.done for step in dashboard.setup_checklist(organization)}


def test_the_checklist_follows_the_setup_from_nothing_to_the_first_routed_lead(organization):
    assert states(organization) == dict.fromkeys(["connect", "reps", "mapping", "rules", "first_lead"], False)

    crm = make.hubspot_connection(organization)  # connected, with the CRM's default mapping
    assert states(organization) == {
        "connect": True,
        "reps": False,
        "mapping": True,
        "rules": False,
        "first_lead": False,
    }
    [mapping_step] = [s for s in dashboard.setup_checklist(organization) if s.key == "mapping"]
    assert "default mapping" in mapping_step.detail and mapping_step.url.endswith("/wizard/")

    ann = make.rep(crm, "Ann", owner_id="71")
    make.rule(organization, "Everyone", reps=[ann])
    make.publish(organization)
    assert states(organization)["reps"] and states(organization)["rules"]
    assert not states(organization)["first_lead"]

    route_leads(crm, [make.lead(crm, name="Grace Hopper")])
    steps = {step.key: step for step in dashboard.setup_checklist(organization)}
    assert steps["first_lead"].done and "Grace Hopper" in steps["first_lead"].detail


def test_a_disconnected_crm_does_not_count_as_connected(organization):
    crm = make.hubspot_connection(organization)
    crm.status = "disconnected"
    crm.save()
    assert states(organization)["connect"] is False
    assert FieldMapping.objects.exists() and states(organization)["mapping"] is False


def test_today_counts_leads_in_routed_held_with_reasons_and_the_write_backs(organization):
    crm = make.hubspot_connection(organization)
    ann = make.rep(crm, "Ann", owner_id="71")
    make.rule(organization, "Germany", reps=[ann], conditions=[("country", "equals", "DE")])
    make.publish(organization)
    routed = make.lead(crm, country="DE")
    routed.crm_created_at = routed.first_received_at - timedelta(seconds=2)  # the CRM made it 2 s before
    routed.save()
    unmatched = [make.lead(crm, country="FR"), make.lead(crm, country="FR")]
    make.lead(crm, country="DE", first_received_at=timezone.now() - timedelta(days=2))  # not today
    decisions = route_leads(crm, [routed, *unmatched])
    write = OwnerWrite.objects.get(decision__in=decisions)
    write.status, write.written_at = WriteStatus.WRITTEN, routed.first_received_at + timedelta(seconds=3)
    write.save()

    today = dashboard.today_figures(organization)

    assert (today.leads_in, today.routed, today.held) == (3, 1, 2)
    assert today.top_reasons == [("No rule matched", 2)]
    assert (today.writes_pending, today.writes_failed) == (0, 0)
    # created in the CRM → owner written: 2 s to reach us, 3 s more to the owner written
    assert today.median_seconds == pytest.approx(5, abs=0.01) and today.median_label == "5.0 s"

    routed.crm_created_at = timezone.now() - timedelta(days=30)  # an existing lead, routed today
    routed.save()
    assert dashboard.today_figures(organization).median_label == "—"


def test_leads_waiting_for_published_rules_are_held_with_that_reason(organization):
    crm = make.hubspot_connection(organization)
    route_leads(crm, [make.lead(crm)])  # nothing published: noted in the journey, not decided
    today = dashboard.today_figures(organization)
    assert today.held == 1 and today.top_reasons == [("Not routed (no published rules)", 1)]
    assert today.median_label == "—"


def test_each_connection_gets_its_leads_today_and_its_next_step(organization):
    crm = make.hubspot_connection(organization)
    make.lead(crm)
    figures = dashboard.connection_figures(organization)[crm.pk]
    assert figures["leads_today"] == 1 and figures["next_step"].key == "reps"

    make.rep(crm, "Ann", owner_id="71")
    assert dashboard.connection_figures(organization)[crm.pk]["next_step"].key == "rules"
