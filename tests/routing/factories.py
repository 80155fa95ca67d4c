"""Building routing setups in the database without a CRM (leads, reps, rules published)."""

from __future__ import annotations

import itertools
from typing import Any

from crm_integrations.models import Organization, OrganizationIntegration
from crm_integrations.services import upsert_organization_integration
from field_mapping.models import Lead
from field_mapping.services import default_mapping_for
from routing import rulesets
from routing.models import Condition, Rep, RepIdentity, Rule, RuleSetVersion, Team

_ids = itertools.count(1000)
#: Reps' keys, all of one width and in the order made: a pool's order is its reps' ids sorted as
#: strings (routing/engine/pools.py), and PostgreSQL's sequences go on across tests, so reps made
#: as 99, 100, 101 would rotate Bob, Cid, Ann (tests expecting Ann first failed now and then there).
_rep_keys = itertools.count(1_000_000)


def hubspot_connection(organization: Organization) -> OrganizationIntegration:
    connection = upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id="24000001",
        access_token="not-a-real-token",
        refresh_token="not-a-real-refresh-token",
    )
    default_mapping_for(connection)
    return connection


def rep(connection: OrganizationIntegration, name: str, owner_id: str | None = None, **fields: Any) -> Rep:
    fields.setdefault("pk", next(_rep_keys))
    made = Rep.objects.create(
        organization_id=connection.organization_id, name=name, email=f"{name.lower()}@example.com", **fields
    )
    RepIdentity.objects.create(
        rep=made, connection=connection, external_id=owner_id or str(next(_ids)), name=name, email=made.email
    )
    return made


def team(organization: Organization, name: str, reps: list[Rep]) -> Team:
    made = Team.objects.create(organization=organization, name=name)
    made.reps.add(*reps)
    return made


def rule(
    organization: Organization,
    name: str,
    *,
    reps: list[Rep] = (),
    teams: list[Team] = (),
    fallback: list[Rep] = (),
    conditions: list[tuple[str, str, str]] = (),
    **fields: Any,
) -> Rule:
    ruleset = rulesets.ruleset_for(organization)
    made = Rule.objects.create(ruleset=ruleset, name=name, position=ruleset.rules.count() + 1, **fields)
    made.pool_reps.add(*reps)
    made.pool_teams.add(*teams)
    made.fallback_reps.add(*fallback)
    for field, op, value in conditions:
        Condition.objects.create(rule=made, field=field, op=op, value=value)
    return made


def publish(organization: Organization) -> RuleSetVersion:
    return rulesets.publish(rulesets.ruleset_for(organization))


def lead(connection: OrganizationIntegration, **fields: Any) -> Lead:
    external_id = str(next(_ids))
    values = {
        "name": f"Lead {external_id}",
        "email": f"lead{external_id}@corp{external_id}.example",
        **fields,
    }
    return Lead.objects.create(
        organization_id=connection.organization_id,
        connection=connection,
        object_type="leads",
        external_id=external_id,
        received_via="webhook",
        **values,
    )
