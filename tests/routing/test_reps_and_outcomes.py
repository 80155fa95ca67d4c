"""Reps from the CRM's owners; outcomes coming back (status changes) feeding scores and the journey;
the beat's sweeps (SLA re-route, retry when nobody was free)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.core.types import CrmOwner
from crm_integrations.services import upsert_organization_integration
from field_mapping.models import Lead
from field_mapping.signals import LeadChange
from routing import outcomes, sweeps
from routing.assign import route_leads
from routing.models import Decision, JourneyEvent, OwnerWrite, Rep, RepIdentity, RoutingPolicy, Team
from routing.reps_sync import apply_owners, sync_reps

from . import factories as make


@pytest.fixture
def crm(organization):
    return make.hubspot_connection(organization)


@pytest.mark.django_db
def test_owners_become_reps_a_leaver_is_deactivated_not_deleted_and_queues_become_placeholders(
    crm, organization
):
    Team.objects.create(organization=organization, name="Sales", auto_join=True)
    ann = CrmOwner("1", "Ann@Corp.example", "Ann", "Lee")
    bob = CrmOwner("2", "bob@corp.example", "Bob", "Ray")
    queue = CrmOwner("9", "queue@corp.example", "Inbound", "queue", is_queue=True)

    first = apply_owners(crm, [ann, bob, queue])
    second = apply_owners(crm, [ann])  # Bob left HubSpot

    assert (first.created, second.left) == (2, 1)
    rep_ann, rep_bob = Rep.objects.get(email="ann@corp.example"), Rep.objects.get(email="bob@corp.example")
    assert rep_ann.active and not rep_bob.active  # kept, with its history, but gets no leads
    assert RepIdentity.objects.get(external_id="2").left_crm_at is not None
    assert set(rep_ann.teams.values_list("name", flat=True)) == {"Sales"}
    assert not Rep.objects.filter(email="queue@corp.example").exists()
    assert RoutingPolicy.objects.get(organization=organization).placeholder_owner_ids == "9"


@pytest.mark.django_db
def test_the_same_person_in_two_crms_is_one_rep(crm, organization):
    monday = upsert_organization_integration(organization, "monday", "sandbox", status="connected")
    apply_owners(crm, [CrmOwner("1", "ann@corp.example", "Ann", "Lee")])
    apply_owners(monday, [CrmOwner("555", "ANN@corp.example", "Ann", "Lee")])

    rep = Rep.objects.get()
    assert sorted(rep.identities.values_list("external_id", flat=True)) == ["1", "555"]


@pytest.mark.django_db
def test_reps_sync_from_the_hubspot_sandbox(hubspot_connection):
    result = sync_reps(hubspot_connection)

    assert result.created == 11  # ten active people and one deactivated; the queue is not a person
    assert Rep.objects.filter(active=True).count() == 10
    assert "70000100" in RoutingPolicy.objects.get().placeholder_owner_ids


@pytest.mark.django_db
def test_a_status_change_is_in_the_journey_and_moves_the_reps_score(crm, organization):
    ann = make.rep(crm, "Ann")
    make.rule(organization, "All", reps=[ann])
    make.publish(organization)
    leads = [make.lead(crm) for _ in range(3)]
    route_leads(crm, leads)
    before = Rep.objects.get(pk=ann.pk).score

    for lead in leads:
        lead.status = "won"
        lead.save()
    outcomes.record_changes([LeadChange(lead, "updated", None, "") for lead in leads])

    ann.refresh_from_db()
    assert ann.score > before
    assert (
        ann.score_parts["won"] == 3 and ann.score_parts["open"] == 0 and ann.score_parts["speed_samples"] == 3
    )
    assert ann.score_parts["win_rate"] == pytest.approx((3 + 2) / (3 + 4))
    event = JourneyEvent.objects.get(lead=leads[0], kind="status")
    assert event.summary == "status none → won" and event.decision.rep == ann
    assert Decision.objects.get(lead=leads[0]).first_status_change_at is not None


@pytest.mark.django_db
def test_an_untouched_lead_is_rerouted_after_its_sla_to_someone_else(crm, organization):
    ann, bob = make.rep(crm, "Ann", owner_id="1"), make.rep(crm, "Bob", owner_id="2")
    make.rule(organization, "All", reps=[ann, bob])
    make.publish(organization)
    RoutingPolicy.objects.create(organization=organization, sla_reroute_minutes=30)
    lead = make.lead(crm)
    [first] = route_leads(crm, [lead])
    OwnerWrite.objects.filter(decision=first).update(status="written", written_at=timezone.now())
    lead.owner_external_id = "1"
    lead.save()

    assert sweeps.reroute_breached_slas() == 0  # not yet
    Decision.objects.filter(pk=first.pk).update(decided_at=timezone.now() - timedelta(minutes=31))
    assert sweeps.reroute_breached_slas() == 1

    current = Decision.objects.get(lead=lead, is_current=True)
    assert current.rep == bob and current.trigger == "sla"
    assert current.reason == "re-routed: untouched by Ann for 30 min"
    assert Decision.objects.filter(lead=lead).count() == 2  # the first one is kept beside it


@pytest.mark.django_db
def test_a_touched_lead_is_not_rerouted(crm, organization):
    ann, bob = make.rep(crm, "Ann", owner_id="1"), make.rep(crm, "Bob", owner_id="2")
    make.rule(organization, "All", reps=[ann, bob])
    make.publish(organization)
    RoutingPolicy.objects.create(organization=organization, sla_reroute_minutes=30)
    lead = make.lead(crm, owner_external_id="")
    [first] = route_leads(crm, [lead])
    OwnerWrite.objects.filter(decision=first).update(status="written")
    Decision.objects.filter(pk=first.pk).update(
        decided_at=timezone.now() - timedelta(hours=2), first_status_change_at=timezone.now()
    )

    assert sweeps.reroute_breached_slas() == 0


def kept_with_one_note(decision: Decision, starts: str) -> str:
    """The re-route left ``decision`` current (no new one, its attempt's time kept) and said so once
    in the journey; that line."""
    assert list(Decision.objects.filter(lead=decision.lead)) == [decision]
    decision.refresh_from_db()
    assert decision.is_current and decision.retried_at is not None
    [note] = JourneyEvent.objects.filter(lead=decision.lead, summary__startswith=starts)
    assert note.summary.endswith("; the current assignment stays")
    return note.summary


def tried_again(decision: Decision, waited: timedelta, freed: Rep, sweep) -> Rep:
    """Once the wait since the last attempt has passed and ``freed`` can take leads, ``sweep``
    routes the lead again; the rep it went to."""
    Decision.objects.filter(pk=decision.pk).update(retried_at=timezone.now() - waited)
    Rep.objects.filter(pk=freed.pk).update(active=True)
    assert sweep() == 1
    return Decision.objects.get(lead=decision.lead, is_current=True).rep


@pytest.mark.django_db
def test_leads_nobody_could_take_keep_their_decision_and_are_retried_when_someone_is_free(crm, organization):
    ann = make.rep(crm, "Ann", active=False)
    make.rule(organization, "All", reps=[ann])
    make.publish(organization)
    lead = make.lead(crm)
    [stuck] = route_leads(crm, [lead])
    assert stuck.outcome == "no_eligible_rep"
    Decision.objects.filter(pk=stuck.pk).update(decided_at=timezone.now() - timedelta(minutes=6))

    assert sweeps.retry_nobody_eligible() == 0  # still nobody: no new decision per sweep
    assert sweeps.retry_nobody_eligible() == 0
    note = kept_with_one_note(stuck, "retried")  # once: the wait holds
    assert note.endswith("could take it; the current assignment stays")

    assert tried_again(stuck, timedelta(minutes=6), ann, sweeps.retry_nobody_eligible) == ann


@pytest.mark.django_db
def test_an_sla_breach_with_nobody_else_free_leaves_the_lead_with_its_rep(crm, organization):
    ann, bob = make.rep(crm, "Ann", owner_id="1"), make.rep(crm, "Bob", owner_id="2", active=False)
    make.rule(organization, "All", reps=[ann, bob])
    make.publish(organization)
    RoutingPolicy.objects.create(organization=organization, sla_reroute_minutes=30)
    lead = make.lead(crm, owner_external_id="")
    [first] = route_leads(crm, [lead])
    OwnerWrite.objects.filter(decision=first).update(status="written", written_at=timezone.now())
    Lead.objects.filter(pk=lead.pk).update(owner_external_id="1")
    Decision.objects.filter(pk=first.pk).update(decided_at=timezone.now() - timedelta(minutes=31))

    assert sweeps.reroute_breached_slas() == 0
    assert sweeps.reroute_breached_slas() == 0  # not tried again before another 30 minutes
    note = kept_with_one_note(first, "re-routed")
    assert first.rep == ann  # still counted in Ann's load
    assert note.startswith("re-routed: untouched by Ann for 30 min: not routed: nobody")

    assert tried_again(first, timedelta(minutes=31), bob, sweeps.reroute_breached_slas) == bob


@pytest.mark.django_db
def test_leads_routing_missed_are_routed_unless_a_needed_field_did_not_map(crm, organization):
    ann = make.rep(crm, "Ann")
    make.rule(organization, "All", reps=[ann])
    make.publish(organization)
    earlier = timezone.now() - timedelta(minutes=5)
    no_company = make.lead(
        crm,
        state="mapping_error",
        mapping_errors=[{"field": "company", "message": "company: nothing at contacts.companies.name"}],
        first_received_at=earlier,
    )
    no_status = make.lead(
        crm,
        state="mapping_error",
        mapping_errors=[{"field": "status", "message": "status: 'Zombie' has no outcome"}],
        first_received_at=earlier,
    )

    assert sweeps.route_missed() == 1
    assert Decision.objects.get(lead=no_company).rep == ann
    assert not Decision.objects.filter(lead=no_status).exists()
