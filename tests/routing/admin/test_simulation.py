"""Simulating the draft: what it would do to the newest leads, with the live rotation and loads
moving in memory — and nothing written anywhere."""

import pytest
from django.urls import reverse

from routing.models import (
    Condition,
    Decision,
    JourneyEvent,
    OwnerWrite,
    RoutingPolicy,
    RoutingState,
    RuleSetVersion,
)
from routing.rulesets import ruleset_for
from routing.simulation import simulate

from .. import factories as make


def change_dach_to(setup, value):
    Condition.objects.filter(rule=setup.dach).update(value=value)


def snapshot_of_the_database(organization):
    state = RoutingState.objects.get(organization=organization)
    return {
        "decisions": list(Decision.objects.values_list("pk", "is_current", "outcome", "rep_id")),
        "writes": list(OwnerWrite.objects.values_list("pk", "status", "next_attempt_at")),
        "events": JourneyEvent.objects.count(),
        "state": (state.rotation_last, state.rotation_credits, state.updated_at),
        "policies": RoutingPolicy.objects.count(),
        "versions": RuleSetVersion.objects.count(),
    }


@pytest.mark.django_db
def test_the_draft_sends_france_to_ann_and_the_rotation_goes_on_from_the_live_one(setup, organization):
    change_dach_to(setup, "DE, AT, FR")

    report = simulate(ruleset_for(organization), 200)

    by_country = [(row.lead.country, row.rep_name, row.rule_name, row.changed) for row in report.leads]
    assert by_country == [  # newest first
        ("FR", "Ann", "DACH", True),
        ("AT", "Ann", "DACH", False),
        ("US", "Cid", "Rest", False),  # live rotation: Bob had the last lead of "Rest", Cid is next
        ("FR", "Ann", "DACH", True),
        ("DE", "Ann", "DACH", False),
    ]
    assert [row.current.rep.name for row in report.leads] == ["Bob", "Ann", "Cid", "Bob", "Ann"]
    assert report.changed == 2 and report.outcomes == {"assigned": 5}
    loads = {
        load.name: (load.open_now, load.current, load.simulated, load.difference) for load in report.loads
    }
    assert loads == {"Ann": (2, 2, 4, 2), "Bob": (2, 2, 0, -2), "Cid": (1, 1, 1, 0)}


@pytest.mark.django_db
def test_loads_count_up_in_memory_so_a_full_rep_stops_taking_leads(setup, organization):
    change_dach_to(setup, "DE, AT, FR")
    setup.ann.capacity = 3  # Ann holds 2 of these leads now: they are handed out again, not counted twice
    setup.ann.save()

    report = simulate(ruleset_for(organization), 5)

    oldest_first = list(reversed(report.leads))
    assert [row.outcome for row in oldest_first] == ["assigned"] * 4 + ["no_eligible_rep"]
    assert [row.rep_name for row in oldest_first[:4]] == ["Ann", "Ann", "Cid", "Ann"]
    assert oldest_first[4].detail == "full (3/3)"
    assert {load.name: load.simulated for load in report.loads} == {"Ann": 3, "Bob": 0, "Cid": 1}


@pytest.mark.django_db
def test_only_the_newest_n_leads_are_simulated(setup, organization):
    report = simulate(ruleset_for(organization), 2)

    assert [row.lead.pk for row in report.leads] == [setup.leads[4].pk, setup.leads[3].pk]
    # Unchanged rules; the round robin goes on from the live position (Bob had the last lead).
    assert [(row.rep_name, row.changed) for row in report.leads] == [("Cid", True), ("Ann", False)]


@pytest.mark.django_db
def test_a_simulation_writes_nothing_and_calls_no_crm(setup, organization, staff_client, monkeypatch):
    def no_crm(*args, **kwargs):
        raise AssertionError("the simulation called the CRM")

    monkeypatch.setattr("crm_integrations.core.registry.get_client", no_crm)
    change_dach_to(setup, "DE, AT, FR")
    before = snapshot_of_the_database(organization)

    url = reverse("admin:routing_ruleset_simulate", args=[ruleset_for(organization).pk])
    page = staff_client.get(url, {"limit": 200}).content.decode()

    assert snapshot_of_the_database(organization) == before
    assert 'id="simulation-results"' in page and 'id="simulated-count">5<' in page
    assert 'id="changed-count">2<' in page


@pytest.mark.django_db
def test_the_simulate_page_asks_for_n_first_and_explains_a_draft_that_cannot_run(
    setup, organization, staff_client
):
    url = reverse("admin:routing_ruleset_simulate", args=[ruleset_for(organization).pk])
    first = staff_client.get(url).content.decode()
    assert 'value="200"' in first and "simulation-results" not in first

    Condition.objects.filter(rule=setup.dach).update(op="between", value="1000")
    page = staff_client.get(url, {"limit": 10}).content.decode()
    assert "The draft cannot be run" in page and "low..high" in page


@pytest.mark.django_db
def test_the_queries_do_not_grow_with_the_number_of_leads(setup, organization, django_assert_max_num_queries):
    for _ in range(20):
        make.lead(setup.crm, country="FR")
    with django_assert_max_num_queries(20):
        report = simulate(ruleset_for(organization), 200)
    assert len(report.leads) == 25


@pytest.mark.django_db
def test_an_owner_routing_wrote_itself_does_not_hold_the_lead_but_another_owner_does(setup, organization):
    ours, theirs = setup.leads[1], setup.leads[2]
    ours.owner_external_id = "72"  # Bob, as our write-back set it in the CRM
    theirs.owner_external_id = "555"  # someone changed the owner in the CRM
    ours.save()
    theirs.save()

    rows = {row.lead.pk: row for row in simulate(ruleset_for(organization), 5).leads}

    assert rows[ours.pk].outcome == "assigned"
    assert (rows[theirs.pk].outcome, rows[theirs.pk].changed) == ("held", True)
    assert rows[theirs.pk].detail == "owner: owner 555 owns the lead; only unowned leads are routed"


@pytest.mark.django_db
def test_unchanged_rules_differ_only_by_rotation_and_edits_are_counted_apart(setup, organization):
    unchanged = simulate(ruleset_for(organization), 200)
    # Bob had the last lead of "Rest" and Cid comes next: the newest French lead (Bob today) would
    # go to Cid. The rotation moved on; no edit did it.
    assert unchanged.by_edits == 0
    assert unchanged.by_rotation == unchanged.changed > 0

    change_dach_to(setup, "DE, AT, FR")
    edited = simulate(ruleset_for(organization), 200)

    rows = {row.lead.pk: row for row in edited.leads}
    french = [lead.pk for lead in setup.leads if lead.country == "FR"]
    assert all(rows[pk].by_edits and rows[pk].rep_name == "Ann" for pk in french)
    assert edited.by_edits == 2 and edited.by_rotation == 0  # the other leads keep today's rep
    assert edited.published_version == 1
    assert all(not row.changed for pk, row in rows.items() if pk not in french)


@pytest.mark.django_db
def test_leads_in_a_mapping_error_are_listed_as_skipped_with_why(setup, organization, staff_client):
    broken = make.lead(
        setup.crm,
        name="Broken Lead",
        state="mapping_error",
        mapping_errors=[{"field": "amount", "message": "'lots' is not a number"}],
    )

    report = simulate(ruleset_for(organization), 200)

    assert [row.lead.pk for row in report.leads] == [lead.pk for lead in reversed(setup.leads)]
    assert [(s.lead.pk, s.reason) for s in report.skipped] == [
        (broken.pk, "Mapping error: amount: 'lots' is not a number")
    ]
    url = reverse("admin:routing_ruleset_simulate", args=[ruleset_for(organization).pk])
    page = staff_client.get(url, {"limit": 200}).content.decode()
    assert 'id="skipped-count">1<' in page and "Broken Lead" in page
    assert "amount: &#x27;lots&#x27; is not a number" in page
    assert 'id="edits-count">0<' in page
