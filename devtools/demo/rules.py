"""Services: a starting rule set for a new organization (used by ``make run``'s demo)."""

from __future__ import annotations

from crm_integrations.models import Organization
from routing import rulesets
from routing.assign import policy_for
from routing.models import Rule, RuleSetVersion, Team

STARTER_TEAM = "Sales"


def starter_rules(organization: Organization) -> RuleSetVersion | None:
    """A "Sales" team every rep from the CRM joins, and one published rule sharing leads among it
    by round robin; leaves an organization that already has rules alone (returns None)."""
    policy_for(organization.pk)
    ruleset = rulesets.ruleset_for(organization)
    if ruleset.rules.exists() or ruleset.versions.exists():
        return None
    team, _ = Team.objects.get_or_create(
        organization=organization, name=STARTER_TEAM, defaults={"auto_join": True}
    )
    rule = Rule.objects.create(ruleset=ruleset, position=1, name="Every lead to the sales team")
    rule.pool_teams.add(team)
    return rulesets.publish(ruleset, note="Starter rules")
