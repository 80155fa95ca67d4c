"""Publishing the draft from the rule set page: numbered versions, what changed, who published."""

import pytest
from django.urls import reverse

from routing.models import Condition, RuleSetVersion
from routing.rulesets import ruleset_for


def publish(client, ruleset, note=""):
    return client.post(
        reverse("admin:routing_ruleset_publish", args=[ruleset.pk]), {"note": note}, follow=True
    )


@pytest.mark.django_db
def test_each_publish_is_the_next_version_with_its_changes_and_who_published(
    setup, organization, staff_client, staff
):
    ruleset = ruleset_for(organization)
    Condition.objects.filter(rule=setup.dach).update(value="DE, AT, CH")

    preview = staff_client.get(reverse("admin:routing_ruleset_publish", args=[ruleset.pk])).content.decode()
    assert "version 2 (the live version is v1)" in preview
    assert "changed rule &#x27;DACH&#x27;: conditions" in preview

    page = publish(staff_client, ruleset, "Switzerland joins DACH").content.decode()
    assert "Published v2: changed rule &#x27;DACH&#x27;: conditions. Routing uses it now." in page

    setup.rest.enabled = False
    setup.rest.save()
    publish(staff_client, ruleset)

    versions = list(RuleSetVersion.objects.filter(ruleset=ruleset).order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert (
        versions[1].changes == ["changed rule 'DACH': conditions"]
        and versions[1].note == "Switzerland joins DACH"
    )
    assert versions[2].changes == ["disabled rule 'Rest'"]  # disabled, not removed
    assert versions[1].published_by == staff and versions[2].published_by == staff
    assert versions[2].snapshot["rules"][0]["conditions"][0]["value"] == ["DE", "AT", "CH"]

    change_page = staff_client.get(
        reverse("admin:routing_ruleset_change", args=[ruleset.pk])
    ).content.decode()
    assert "v3, published" in change_page and "Switzerland joins DACH" in change_page
    assert "disabled rule &#x27;Rest&#x27;" in change_page


@pytest.mark.django_db
def test_publishing_needs_a_post(setup, organization, staff_client):
    ruleset = ruleset_for(organization)
    staff_client.get(reverse("admin:routing_ruleset_publish", args=[ruleset.pk]), {"note": "x"})
    assert RuleSetVersion.objects.filter(ruleset=ruleset).count() == 1


@pytest.mark.django_db
def test_a_draft_that_cannot_run_is_not_published(setup, organization, staff_client):
    ruleset = ruleset_for(organization)
    Condition.objects.filter(rule=setup.dach).update(op="between", value="10")

    page = publish(staff_client, ruleset).content.decode()

    assert "The draft cannot be run" in page or "Not published" in page
    assert RuleSetVersion.objects.filter(ruleset=ruleset).count() == 1
