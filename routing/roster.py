"""Selectors: the engine's view of one connection's reps (loads, teams, time off, scores)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from crm_integrations.models import OrganizationIntegration
from field_mapping.models import Outcome as LeadOutcome

from .engine.types import RepState, Roster, WorkingHours
from .hours import parse_working_hours
from .models import Decision, DecisionOutcome, OutOfOffice, Rep, RepIdentity


@dataclass(frozen=True)
class ConnectionRoster:
    """The roster plus the translation between our rep ids and the connection's owner ids."""

    roster: Roster
    rep_by_owner: dict[str, str]  # CRM owner id -> rep id
    owner_by_rep: dict[str, str]  # rep id -> CRM owner id (active identities only)
    names: dict[str, str]


def open_loads(organization_id: int, rep_ids: list[int] | None = None) -> Counter[int]:
    """Open leads per rep: current assignments whose lead has no outcome yet or is open."""
    rows = Decision.objects.filter(
        organization_id=organization_id, is_current=True, outcome=DecisionOutcome.ASSIGNED
    ).filter(Q(lead__status__isnull=True) | Q(lead__status=LeadOutcome.OPEN))
    if rep_ids is not None:
        rows = rows.filter(rep_id__in=rep_ids)
    return Counter({row["rep_id"]: row["n"] for row in rows.values("rep_id").annotate(n=Count("id"))})


def connection_roster(connection: OrganizationIntegration, now: datetime) -> ConnectionRoster:
    """Every rep with an identity in this CRM (inactive ones too, so filters can see them)."""
    identities = list(
        RepIdentity.objects.filter(connection=connection).select_related("rep").prefetch_related("rep__teams")
    )
    reps = {identity.rep_id: identity.rep for identity in identities}
    loads = open_loads(connection.organization_id, list(reps))
    time_off: dict[int, list[tuple]] = {}
    for period in OutOfOffice.objects.filter(
        rep_id__in=list(reps), ends_on__gte=(now - timedelta(days=1)).date()
    ):
        time_off.setdefault(period.rep_id, []).append((period.starts_on, period.ends_on))
    states: dict[str, RepState] = {}
    teams: dict[str, list[str]] = {}
    active_in_crm: dict[int, bool] = {}
    for identity in identities:
        active_in_crm[identity.rep_id] = active_in_crm.get(identity.rep_id, False) or identity.active_in_crm
    for rep_id, rep in reps.items():
        team_ids = frozenset(str(team.pk) for team in rep.teams.all())
        for team in team_ids:
            teams.setdefault(team, []).append(str(rep_id))
        states[str(rep_id)] = rep_state(
            rep, loads[rep_id], team_ids, time_off.get(rep_id, []), active_in_crm[rep_id]
        )
    return ConnectionRoster(
        roster=Roster(reps=states, teams={team: tuple(sorted(ids)) for team, ids in teams.items()}),
        rep_by_owner={identity.external_id: str(identity.rep_id) for identity in identities},
        owner_by_rep={str(i.rep_id): i.external_id for i in identities if i.active_in_crm},
        names={str(rep_id): str(rep) for rep_id, rep in reps.items()},
    )


def rep_state(
    rep: Rep, open_leads: int, teams: frozenset[str], time_off: list[tuple], active_in_crm: bool = True
) -> RepState:
    hours = parse_working_hours(rep.working_hours) if rep.working_hours else None
    return RepState(
        id=str(rep.pk),
        name=str(rep),
        active=rep.active and active_in_crm,
        capacity=rep.capacity,
        open_leads=open_leads,
        weight=rep.weight,
        teams=teams,
        score=rep.score,
        out_of_office=tuple(sorted(time_off)),
        working_hours=WorkingHours(rep.time_zone, hours) if hours else None,
    )
