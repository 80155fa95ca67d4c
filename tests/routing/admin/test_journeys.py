"""Lead journeys: the list (search, filters), the timeline with each decision's trace, Reprocess."""

import pytest
from django.urls import reverse

from routing import journey
from routing.models import Condition, Decision, JourneyKind, LeadJourney, OwnerWrite
from routing.reprocess import reprocess
from routing.rulesets import publish, ruleset_for

LIST = "admin:routing_leadjourney_changelist"


def journey_page(client, lead):
    return client.get(reverse("admin:routing_leadjourney_change", args=[lead.pk])).content.decode()


def listed(client, **query):
    response = client.get(reverse(LIST), query)
    return {lead.pk for lead in response.context["cl"].result_list}


@pytest.mark.django_db
def test_search_by_crm_id_and_by_email(setup, staff_client):
    second = setup.leads[1]
    assert listed(staff_client, q=second.external_id) == {second.pk}
    assert listed(staff_client, q=second.email) == {second.pk}
    assert listed(staff_client, q=second.email.upper()) == {second.pk}


@pytest.mark.django_db
def test_the_list_shows_routing_and_write_back_and_filters_on_them(setup, staff_client):
    first = setup.leads[0]
    OwnerWrite.objects.filter(decision__lead=first).update(status="failed", attempts=6)

    page = staff_client.get(reverse(LIST)).content.decode()
    assert "Assigned → Ann" in page and "failed (gave up) (attempt 6)" in page and "HubSpot" in page
    assert listed(staff_client, write="failed") == {first.pk}
    assert listed(staff_client, outcome="assigned") == {lead.pk for lead in setup.leads}
    assert listed(staff_client, outcome="none") == set()


@pytest.mark.django_db
def test_the_timeline_shows_events_in_order_and_the_decision_trace(setup, staff_client):
    lead = setup.leads[1]  # FR: DACH did not match, Rest gave it to Bob
    decision = Decision.objects.get(lead=lead)
    write = decision.owner_write
    write.status, write.written_at, write.batch_size, write.attempts = "written", write.created_at, 3, 1
    write.save()
    journey.record(
        [
            journey.event(
                lead,
                JourneyKind.RECEIVED,
                "Created in HubSpot (leads 1), taken in by webhook",
                {"debugger": "/admin/crm_integrations/webhookdelivery/?q=1"},
            ),
            journey.event(
                lead,
                JourneyKind.WRITTEN,
                "owner 72 (Bob) written",
                {"latency_ms": 231.4, "batch_size": 3},
                decision,
            ),
        ]
    )

    page = journey_page(staff_client, lead)

    assert (
        page.index("routed to Bob by rule")
        < page.index("Created in HubSpot (leads 1)")
        < page.index("owner 72 (Bob) written")
    )
    assert 'href="/admin/crm_integrations/webhookdelivery/?q=1"' in page
    assert "via webhook webhook" not in page and "(see the delivery)" in page
    assert "latency 231 ms" in page and "batch of 3" in page
    assert "no owner" in page and "passed" in page  # route-if filters
    assert "DACH" in page and "no match" in page and "matched" in page
    assert "<b>Bob</b> ✓" in page and "Cid" in page  # candidates by name, the chosen one marked
    assert "Chosen: <b>Bob</b> by rule 'Rest' · Round robin · via pool" in page  # strategy in words
    assert "<b>Bob</b> (CRM owner 72)" in page and "written to hubspot_owner_id" in page  # the rep's name
    assert "Written · 1 attempt" in page
    assert "not-a-real-token" not in page


@pytest.mark.django_db
def test_reprocess_makes_a_new_current_decision_and_keeps_the_old_one_beside_it(
    setup, organization, staff, staff_client
):
    lead = setup.leads[1]
    Condition.objects.filter(rule=setup.dach).update(value="DE, AT, FR")
    publish(ruleset_for(organization), staff)

    response = staff_client.post(reverse("admin:routing_leadjourney_reprocess", args=[lead.pk]), follow=True)

    assert "1 lead(s) reprocessed: 1 assigned." in response.content.decode()
    new, old = Decision.objects.filter(lead=lead).order_by("-decided_at", "-id")
    assert (new.is_current, new.rep, new.trigger, new.reason) == (
        True,
        setup.ann,
        "reprocess",
        "reprocessed by staff",
    )
    assert (old.is_current, old.rep) == (False, setup.bob)
    page = journey_page(staff_client, lead)
    assert page.count('class="decision-row') == 2
    assert f'class="decision current" id="decision-{new.pk}"' in page
    assert f'id="decision-{old.pk}"' in page and "replaced" in page
    assert "reprocessed by staff: routed to Ann" in page


@pytest.mark.django_db
def test_the_reprocess_action_counts_outcomes_and_skips_leads_with_mapping_errors(setup, staff_client):
    broken = setup.leads[2]
    broken.state = "mapping_error"
    broken.mapping_errors = [{"field": "status", "message": "status: 'Zombie' has no outcome"}]
    broken.save()
    chosen = [setup.leads[0].pk, setup.leads[1].pk, broken.pk]

    response = staff_client.post(
        reverse(LIST), {"action": "reprocess_leads", "_selected_action": chosen}, follow=True
    )

    assert "2 lead(s) reprocessed: 2 assigned; 1 skipped (mapping errors)." in response.content.decode()
    assert Decision.objects.filter(lead_id__in=chosen, trigger="reprocess", is_current=True).count() == 2


@pytest.mark.django_db
def test_reprocess_service_says_when_nothing_could_be_routed(setup, organization, staff):
    policy = organization.routing_policy
    policy.enabled = False
    policy.save()

    result = reprocess(LeadJourney.objects.filter(pk=setup.leads[0].pk), staff)

    assert result.decided == 0 and result.not_routed == 1
    assert str(result) == "0 lead(s) reprocessed; 1 not routed (see the journey)"


@pytest.mark.django_db
def test_the_journey_is_read_only_and_the_button_needs_the_reprocess_permission(
    setup, organization, django_user_model, client
):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_leadjourney"))
    organization.memberships.create(user=viewer, role="admin")  # the role is not the permission
    client.force_login(viewer)
    lead = setup.leads[0]

    page = journey_page(client, lead)
    assert 'id="timeline"' in page and 'id="reprocess"' not in page and 'name="_save"' not in page
    denied = client.post(reverse("admin:routing_leadjourney_reprocess", args=[lead.pk]))
    assert denied.status_code == 403
    assert Decision.objects.filter(lead=lead).count() == 1
