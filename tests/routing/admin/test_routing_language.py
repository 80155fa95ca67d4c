"""The routing admin in the admin's words: operators and strategies as labels, the placeholder
owners of the routing policy by name, and the lead's owner by the rep's name."""

import pytest
from django.urls import reverse

from crm_integrations.core.types import CrmOwner
from field_mapping.models import FieldMapping, FieldRule
from routing.models import Condition, RoutingPolicy
from routing.reps_sync import apply_owners

from .conftest import form_data


@pytest.mark.django_db
def test_conditions_read_in_words_on_the_rule_page(setup, staff_client):
    Condition.objects.create(rule=setup.dach, field="amount", op="gte", value="5000")
    page = staff_client.get(reverse("admin:routing_rule_change", args=[setup.dach.pk])).content.decode()

    assert '<option value="gte" selected>greater than or equal to</option>' in page
    assert '<option value="round_robin" selected>Round robin</option>' in page
    assert [str(c) for c in setup.dach.conditions.order_by("pk")] == [
        "Country is one of DE, AT",
        "Amount greater than or equal to 5000",
    ]
    assert "whose account owner cannot take them" in page  # the help text, complete


@pytest.mark.django_db
def test_placeholder_owners_are_chosen_by_name_and_stored_as_crm_ids(setup, organization, staff_client):
    apply_owners(setup.crm, [CrmOwner("70000100", "queue@corp.example", "Inbound", "queue", is_queue=True)])
    RoutingPolicy.objects.filter(organization=organization).update(placeholder_owner_ids="70000100, 555")
    policy = RoutingPolicy.objects.get(organization=organization)
    url = reverse("admin:routing_routingpolicy_change", args=[policy.pk])

    response = staff_client.get(url)
    page = response.content.decode()
    assert "Inbound queue (queue)" in page and "owner 555 (not among the synced CRM users)" in page
    assert "Reroute after (minutes)" in page and "Win-rate weight" in page
    assert "Placeholder owner ids" not in page and "Sla reroute minutes" not in page
    listing = staff_client.get(reverse("admin:routing_routingpolicy_changelist")).content.decode()
    assert "Inbound queue (queue), owner 555" in listing

    data = form_data(response)
    data["placeholder_owner_ids"] = ["70000100", str(setup.bob.identities.get().external_id)]
    assert staff_client.post(url, data).status_code == 302
    policy.refresh_from_db()
    assert policy.placeholder_owner_ids == "70000100, 72"


@pytest.mark.django_db
def test_the_lead_page_names_its_owner(setup, staff_client):
    lead = setup.leads[0]
    lead.owner_external_id = "71"
    lead.save()

    page = staff_client.get(reverse("admin:routing_leadjourney_change", args=[lead.pk])).content.decode()

    assert "Ann (owner 71)" in page


@pytest.mark.django_db
def test_conditions_show_the_crms_labels_and_suggest_the_known_values(setup, staff_client):
    """Values are stored as the engine compares them (PARTNER) and read by the CRM's labels (Partner),
    on the rule set page and the rule's page; the value box suggests the known values by label."""
    mapping, _ = FieldMapping.objects.get_or_create(connection=setup.crm, defaults={"object_type": "leads"})
    labels = {"PARTNER": "Partner", "WEBSITE": "Website"}
    FieldRule.objects.update_or_create(
        mapping=mapping, canonical_field="source",
        defaults={"source_path": "hs_lead_source", "value_labels": labels},
    )  # fmt: skip
    Condition.objects.create(rule=setup.rest, field="source", op="in", value="PARTNER, WEBSITE, EVENT")
    Condition.objects.create(rule=setup.rest, field="amount", op="between", value="1000..5000")

    ruleset_page = staff_client.get(reverse("admin:routing_ruleset_change", args=[setup.rest.ruleset_id]))
    text = ruleset_page.content.decode()
    assert "Source is one of Partner, Website, EVENT; Amount between 1000 and 5000" in text

    rule_page = staff_client.get(reverse("admin:routing_rule_change", args=[setup.rest.pk])).content.decode()
    assert "Source is one of Partner, Website, EVENT" in rule_page  # "reads as"
    assert '<option value="PARTNER">Partner · Source</option>' in rule_page
    assert 'list="id_conditions-0-value-values"' in rule_page
