"""The rule page: conditions checked as routing will read them, choices kept to the organization."""

import pytest
from django.urls import reverse

from crm_integrations.models import Organization
from routing.admin.forms import ConditionForm
from routing.models import Rep, Team

from .conftest import form_data


def condition_errors(op, value, field="amount"):
    form = ConditionForm(data={"field": field, "op": op, "value": value})
    form.is_valid()
    return form.errors.get("value", [])


@pytest.mark.parametrize(
    ("op", "value", "error"),
    [
        ("between", "1000", "'between' needs 'low..high', not '1000'."),
        ("between", "1000..", "'between' needs 'low..high', not '1000..'."),
        ("between", "a..b", "'a' is not a number ('between' compares numbers)."),
        ("between", "500..100", "The low end 500 is above the high end 100."),
        ("gt", "lots", "'lots' is not a number ('greater than' compares numbers)."),
        ("in", " , ", "List at least one value, comma-separated."),
        ("equals", "", "Give a value to compare with."),
    ],
)
def test_a_condition_value_routing_cannot_read_is_refused_with_the_reason(op, value, error):
    assert condition_errors(op, value) == [error]


@pytest.mark.parametrize(
    ("op", "value"), [("between", "1000..50000"), ("in", "DE, AT"), ("is_empty", ""), ("gte", "10.5")]
)
def test_good_condition_values_pass(op, value):
    assert condition_errors(op, value) == []


@pytest.mark.django_db
def test_a_bad_between_on_the_rule_page_is_a_form_error_and_nothing_is_saved(setup, staff_client):
    url = reverse("admin:routing_rule_change", args=[setup.dach.pk])
    data = form_data(staff_client.get(url))
    data.update({"conditions-0-field": "amount", "conditions-0-op": "between", "conditions-0-value": "1000"})

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert (
        "&#x27;between&#x27; needs &#x27;low..high&#x27;, not &#x27;1000&#x27;." in response.content.decode()
    )
    assert setup.dach.conditions.get().value == "DE, AT"


@pytest.mark.django_db
def test_saving_a_rule_marks_the_draft_and_goes_back_to_the_rule_set(setup, staff_client, staff):
    url = reverse("admin:routing_rule_change", args=[setup.dach.pk])
    data = form_data(staff_client.get(url))
    data["conditions-0-value"] = "DE, AT, FR"

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:routing_ruleset_change", args=[setup.dach.ruleset_id])
    assert setup.dach.conditions.get().value == "DE, AT, FR"
    setup.dach.ruleset.refresh_from_db()
    assert setup.dach.ruleset.draft_updated_by == staff


@pytest.mark.django_db
def test_pool_choices_are_the_rule_set_organization_s_and_a_stranger_is_refused(setup, staff_client):
    other = Organization.objects.create(name="Other Co", slug="other")
    stranger = Rep.objects.create(organization=other, name="Stranger")
    Team.objects.create(organization=other, name="Elsewhere")
    url = reverse("admin:routing_rule_change", args=[setup.dach.pk])
    response = staff_client.get(url)
    form = response.context["adminform"].form
    assert set(form.fields["pool_reps"].queryset) == {setup.ann, setup.bob, setup.cid}
    assert not form.fields["fallback_teams"].queryset.filter(name="Elsewhere").exists()

    data = form_data(response)
    data["pool_reps"] = [setup.ann.pk, stranger.pk]
    refused = staff_client.post(url, data)
    assert refused.status_code == 200 and set(setup.dach.pool_reps.all()) == {setup.ann}


@pytest.mark.django_db
def test_the_rule_set_page_lists_rules_in_order_with_links_and_unpublished_changes(
    setup, organization, staff_client
):
    from routing.rulesets import ruleset_for

    setup.rest.name = "Everyone else"
    setup.rest.save()
    page = staff_client.get(
        reverse("admin:routing_ruleset_change", args=[ruleset_for(organization).pk])
    ).content.decode()

    assert page.index('value="DACH"') < page.index('value="Everyone else"')
    assert reverse("admin:routing_rule_change", args=[setup.dach.pk]) in page
    assert "Country is one of DE, AT" in page  # field and operator in words
    assert "changed rule &#x27;Everyone else&#x27;: name" in page  # the draft against v1
    assert 'id="publish"' in page and 'id="simulate"' in page
