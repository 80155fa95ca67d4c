"""The guard rails on the rule set pages: publishing refused with the reason, rules that never fire
flagged beside the rule and on the publish page, Move up/down, and no "Add rule set" once there is one."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm_integrations.models import Membership, Organization
from routing.models import RoutingPolicy, Rule, RuleSetVersion
from routing.rulesets import ruleset_for

from .. import factories as make


def ruleset_page(client, organization):
    return client.get(reverse("admin:routing_ruleset_change", args=[ruleset_for(organization).pk]))


@pytest.mark.django_db
def test_publishing_with_every_rule_disabled_is_refused_on_the_page_and_v1_stays(
    setup, organization, staff_client
):
    Rule.objects.filter(ruleset=ruleset_for(organization)).update(enabled=False)
    url = reverse("admin:routing_ruleset_publish", args=[ruleset_for(organization).pk])

    preview = staff_client.get(url).content.decode()
    assert 'id="publish-problem"' in preview and "No rule is enabled" in preview
    assert 'id="confirm-publish"' not in preview

    page = staff_client.post(url, {"note": "all off"}, follow=True).content.decode()
    assert "Not published: No rule is enabled" in page
    assert list(RuleSetVersion.objects.values_list("number", flat=True)) == [1]


@pytest.mark.django_db
def test_a_shadowed_rule_is_flagged_on_the_rule_set_page_and_on_publish_which_still_goes_through(
    setup, organization, staff_client
):
    late = make.rule(organization, "Partners", reps=[setup.bob], conditions=[("source", "equals", "PARTNER")])

    page = ruleset_page(staff_client, organization).content.decode()
    warning = "Never fires: the catch-all rule &#x27;Rest&#x27; above it takes every lead."
    assert warning in page
    assert page.index('value="Partners"') < page.rindex(warning)  # on the rule's own row

    url = reverse("admin:routing_ruleset_publish", args=[ruleset_for(organization).pk])
    preview = staff_client.get(url).content.decode()
    assert 'id="publish-warnings"' in preview and "&#x27;Partners&#x27;: " + warning in preview
    staff_client.post(url, {"note": ""})
    assert RuleSetVersion.objects.filter(ruleset__organization=organization).count() == 2

    staff_client.post(reverse("admin:routing_ruleset_move_rule", args=[late.ruleset_id, late.pk, "up"]))
    assert warning not in ruleset_page(staff_client, organization).content.decode()


@pytest.mark.django_db
def test_move_buttons_reorder_the_rules_and_a_get_changes_nothing(setup, organization, staff_client):
    ruleset = ruleset_for(organization)
    url = reverse("admin:routing_ruleset_move_rule", args=[ruleset.pk, setup.rest.pk, "up"])
    page = ruleset_page(staff_client, organization).content.decode()
    assert f'formaction="{url}"' in page and 'form="rule-move"' in page and 'id="rule-move"' in page

    staff_client.get(url)
    assert list(ruleset.rules.order_by("position").values_list("name", flat=True)) == ["DACH", "Rest"]

    response = staff_client.post(url, follow=True)
    assert list(ruleset.rules.order_by("position").values_list("name", "position")) == [
        ("Rest", 1),
        ("DACH", 2),
    ]
    content = response.content.decode()
    assert "Moved &#x27;Rest&#x27; up." in content
    assert "moved rule &#x27;DACH&#x27; below &#x27;Rest&#x27; (last)" in content  # the draft vs v1


@pytest.mark.django_db
def test_a_member_sees_no_move_buttons_and_cannot_move(setup, organization, client, django_user_model):
    member = django_user_model.objects.create_user("member", password="x", is_staff=True)
    member.user_permissions.add(*Permission.objects.filter(content_type__app_label="routing"))
    Membership.objects.create(user=member, organization=organization, role=Membership.Role.MEMBER)
    client.force_login(member)
    ruleset = ruleset_for(organization)
    url = reverse("admin:routing_ruleset_move_rule", args=[ruleset.pk, setup.rest.pk, "up"])

    page = ruleset_page(client, organization)
    assert page.status_code == 200 and "Never fires" not in page.content.decode()
    assert 'form="rule-move"' not in page.content.decode()
    assert client.post(url).status_code == 403
    assert ruleset.rules.get(pk=setup.rest.pk).position == 2


@pytest.mark.django_db
def test_add_rule_set_is_offered_only_to_an_organization_without_one(organization, staff_client):
    changelist = reverse("admin:routing_ruleset_changelist")
    add = reverse("admin:routing_ruleset_add")
    assert add in staff_client.get(changelist).content.decode()

    ruleset_for(organization)
    Organization.objects.exclude(pk=organization.pk).delete()
    assert add not in staff_client.get(changelist).content.decode()
    assert staff_client.get(add).status_code == 403

    policies = reverse("admin:routing_routingpolicy_changelist")
    add_policy = reverse("admin:routing_routingpolicy_add")
    assert add_policy in staff_client.get(policies).content.decode()
    RoutingPolicy.objects.create(organization=organization)
    assert add_policy not in staff_client.get(policies).content.decode()


@pytest.mark.django_db
def test_a_rule_added_from_its_page_goes_last_without_a_typed_position(setup, organization, staff_client):
    ruleset = ruleset_for(organization)
    add = reverse("admin:routing_rule_add") + f"?ruleset={ruleset.pk}"
    form = staff_client.get(add).context["adminform"].form
    assert "position" not in form.fields

    staff_client.post(
        add,
        {
            "ruleset": ruleset.pk,
            "name": "Partners",
            "enabled": "on",
            "match": "all",
            "strategy": "round_robin",
            "pool_strategy": "round_robin",
            "pool_reps": [setup.bob.pk],
            "conditions-TOTAL_FORMS": "1",
            "conditions-INITIAL_FORMS": "0",
            "conditions-0-field": "source",
            "conditions-0-op": "equals",
            "conditions-0-value": "PARTNER",
        },
    )
    assert ruleset.rules.get(name="Partners").position == 3


@pytest.mark.django_db
def test_a_rule_added_in_the_rule_set_page_goes_last(setup, organization, staff_client):
    from .conftest import form_data

    ruleset = ruleset_for(organization)
    url = reverse("admin:routing_ruleset_change", args=[ruleset.pk])
    data = form_data(staff_client.get(url))
    data.update(
        {
            "rules-TOTAL_FORMS": "3",
            "rules-2-ruleset": ruleset.pk,
            "rules-2-name": "Partners",
            "rules-2-enabled": "on",
            "rules-2-strategy": "round_robin",
        }
    )

    assert staff_client.post(url, data).status_code == 302
    assert list(ruleset.rules.order_by("position").values_list("name", "position")) == [
        ("DACH", 1),
        ("Rest", 2),
        ("Partners", 3),
    ]


@pytest.mark.django_db
def test_another_organization_s_administrator_cannot_move_its_rules(
    setup, organization, client, django_user_model
):
    other = Organization.objects.create(name="Other Co", slug="other-co")
    stranger = django_user_model.objects.create_user("stranger", password="x", is_staff=True)
    stranger.user_permissions.add(*Permission.objects.filter(content_type__app_label="routing"))
    Membership.objects.create(user=stranger, organization=other, role=Membership.Role.ADMIN)
    client.force_login(stranger)
    ruleset = ruleset_for(organization)

    response = client.post(reverse("admin:routing_ruleset_move_rule", args=[ruleset.pk, setup.rest.pk, "up"]))

    assert response.status_code == 404
    assert ruleset.rules.get(pk=setup.rest.pk).position == 2
