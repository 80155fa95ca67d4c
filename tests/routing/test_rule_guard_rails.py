"""Guard rails on the draft rules (routing/rulesets.py, routing/ruleset_checks.py,
routing/rule_order.py): no publish without an enabled rule, rules that can never fire flagged with
the rule that takes their leads, moves that keep positions 1..n, and a publish summary that says
disabled, enabled and moved."""

import pytest
from django.core.exceptions import ValidationError

from routing import rulesets
from routing.models import Condition, Rule, RuleSetVersion
from routing.rule_order import move_rule, next_position
from routing.ruleset_checks import draft_warnings, warning_lines

from . import factories as make


@pytest.fixture
def crm(organization):
    return make.hubspot_connection(organization)


@pytest.fixture
def ann(crm):
    return make.rep(crm, "Ann")


def warnings_by_name(organization):
    ruleset = rulesets.ruleset_for(organization)
    found = draft_warnings(ruleset)
    return {rule.name: found.get(rule.pk, []) for rule in Rule.objects.filter(ruleset=ruleset)}


@pytest.mark.django_db
def test_publishing_with_no_enabled_rule_is_refused_with_the_reason_and_the_live_version_stays(
    organization, ann
):
    rule = make.rule(organization, "Rest", reps=[ann])
    make.publish(organization)
    Rule.objects.filter(pk=rule.pk).update(enabled=False)

    with pytest.raises(ValidationError) as refused:
        make.publish(organization)

    assert "No rule is enabled" in refused.value.messages[0]
    assert "stay unowned" in refused.value.messages[0]
    assert list(RuleSetVersion.objects.values_list("number", flat=True)) == [1]
    assert rulesets.live_version(organization.pk).snapshot["rules"][0]["name"] == "Rest"


@pytest.mark.django_db
def test_an_empty_rule_set_is_not_published(organization):
    with pytest.raises(ValidationError, match="No rule is enabled"):
        make.publish(organization)
    assert not RuleSetVersion.objects.exists()


@pytest.mark.django_db
def test_a_rule_below_the_catch_all_never_fires_and_the_warning_names_the_catch_all(organization, ann):
    make.rule(organization, "Rest", reps=[ann])
    make.rule(organization, "DACH", reps=[ann], conditions=[("country", "in", "DE, AT")])

    found = warnings_by_name(organization)

    assert found["DACH"] == ["Never fires: the catch-all rule 'Rest' above it takes every lead."]
    assert found["Rest"] == []


@pytest.mark.django_db
def test_a_broader_rule_above_shadows_a_narrower_one_but_not_the_other_way_round(organization, ann):
    make.rule(organization, "Germany", reps=[ann], conditions=[("country", "equals", "de")])
    make.rule(organization, "DACH", reps=[ann], conditions=[("country", "in", "DE, AT, CH")])
    make.rule(
        organization,
        "Big DACH",
        reps=[ann],
        conditions=[("country", "in", "at, ch"), ("amount", "gt", "10000")],
    )
    make.rule(organization, "Austria", reps=[ann], conditions=[("country", "equals", "AT")])

    found = warnings_by_name(organization)

    # Germany is narrower than DACH (above it): it fires for German leads. DACH takes every
    # lead of "Big DACH" (AT or CH, any amount) and of "Austria".
    assert found["Germany"] == [] and found["DACH"] == []
    broader = "Never fires: the broader rule 'DACH' above it takes every lead this rule would match."
    assert found["Big DACH"] == [broader]
    assert found["Austria"] == [broader]


@pytest.mark.django_db
def test_what_cannot_be_proved_is_not_flagged(organization, ann):
    make.rule(organization, "Big deals", reps=[ann], conditions=[("amount", "gt", "1000")])
    make.rule(organization, "Bigger deals", reps=[ann], conditions=[("amount", "gt", "5000")])
    make.rule(
        organization,
        "DE or web",
        reps=[ann],
        match="any",
        conditions=[("country", "equals", "DE"), ("source", "equals", "WEBSITE")],
    )
    make.rule(organization, "Web from DE", reps=[ann], conditions=[("country", "equals", "DE")])
    make.rule(organization, "Everyone", reps=[ann], enabled=False)
    make.rule(organization, "Still tried", reps=[ann], conditions=[("country", "equals", "FR")])

    found = warnings_by_name(organization)

    assert found["Bigger deals"] == []  # ranges are not compared (kept to what is certain)
    assert found["Web from DE"] == [  # "any" above: its one condition suffices
        "Never fires: the broader rule 'DE or web' above it takes every lead this rule would match."
    ]
    assert found["Still tried"] == []  # a disabled catch-all shadows nothing


@pytest.mark.django_db
def test_an_any_rule_below_is_shadowed_only_when_each_of_its_conditions_is(organization, ann):
    make.rule(organization, "DACH", reps=[ann], conditions=[("country", "in", "DE, AT, CH")])
    make.rule(
        organization,
        "DE or AT",
        reps=[ann],
        match="any",
        conditions=[("country", "equals", "DE"), ("country", "equals", "AT")],
    )
    make.rule(
        organization,
        "DE or web",
        reps=[ann],
        match="any",
        conditions=[("country", "equals", "DE"), ("source", "equals", "WEBSITE")],
    )

    found = warnings_by_name(organization)

    assert found["DE or AT"][0].startswith("Never fires: the broader rule 'DACH'")
    assert found["DE or web"] == []  # a French website lead still reaches it


@pytest.mark.django_db
def test_rules_sharing_a_position_are_flagged_and_listed_for_the_publish_page(organization, ann):
    ruleset = rulesets.ruleset_for(organization)
    Rule.objects.create(ruleset=ruleset, name="Rest", position=1)
    new = Rule.objects.create(ruleset=ruleset, name="Partners", position=1)
    Condition.objects.create(rule=new, field="source", op="equals", value="PARTNER")

    found = warnings_by_name(organization)

    assert "Shares position 1 with 'Partners': move the rules to set their order." in found["Rest"]
    assert found["Partners"] == [
        "Never fires: the catch-all rule 'Rest' above it takes every lead.",
        "Shares position 1 with 'Rest': move the rules to set their order.",
    ]
    assert (
        warning_lines(ruleset)[0]
        == "'Rest': Shares position 1 with 'Partners': move the rules to set their order."
    )


@pytest.mark.django_db
def test_moving_renumbers_1_to_n_and_new_rules_go_last(organization, ann):
    ruleset = rulesets.ruleset_for(organization)
    rest = Rule.objects.create(ruleset=ruleset, name="Rest", position=1)
    partners = Rule.objects.create(ruleset=ruleset, name="Partners", position=1)
    dach = Rule.objects.create(ruleset=ruleset, name="DACH", position=7)
    Condition.objects.create(rule=partners, field="source", op="equals", value="PARTNER")
    Condition.objects.create(rule=dach, field="country", op="in", value="DE, AT")

    assert move_rule(partners, "up") is True
    order = list(Rule.objects.filter(ruleset=ruleset).order_by("position").values_list("name", "position"))
    assert order == [("Partners", 1), ("Rest", 2), ("DACH", 3)]
    assert move_rule(partners, "up") is False  # already first
    assert move_rule(dach, "down") is False
    assert move_rule(rest, "down") is True
    assert list(Rule.objects.filter(ruleset=ruleset).order_by("position").values_list("name", flat=True)) == [
        "Partners",
        "DACH",
        "Rest",
    ]
    assert next_position(ruleset) == 4
    assert draft_warnings(ruleset) == {}  # the catch-all is last now; no shared positions


@pytest.mark.django_db
def test_the_publish_summary_says_disabled_enabled_and_which_rule_moved(organization, ann):
    dach = make.rule(organization, "DACH", reps=[ann], conditions=[("country", "in", "DE, AT")])
    partners = make.rule(organization, "Partners", reps=[ann], conditions=[("source", "equals", "PARTNER")])
    rest = make.rule(organization, "Rest", reps=[ann])
    make.publish(organization)

    Rule.objects.filter(pk=dach.pk).update(enabled=False)
    assert make.publish(organization).changes == ["disabled rule 'DACH'"]

    Rule.objects.filter(pk=dach.pk).update(enabled=True)
    assert make.publish(organization).changes == ["enabled rule 'DACH'"]

    move_rule(rest, "up")  # DACH, Rest, Partners
    assert make.publish(organization).changes == ["moved rule 'Partners' below 'Rest' (last)"]

    move_rule(partners, "up")
    move_rule(partners, "up")  # Partners, DACH, Rest
    assert make.publish(organization).changes == ["moved rule 'Partners' above 'DACH'"]

    Rule.objects.filter(pk=rest.pk).update(strategy="least_loaded")
    assert make.publish(organization).changes == ["changed rule 'Rest': how the pool shares leads"]

    Rule.objects.filter(pk=rest.pk).delete()
    assert make.publish(organization).changes == ["removed rule 'Rest'"]
