"""Selector: how the published rules would give out a run's existing leads (nothing is saved).

The page of routing/admin/existing_leads.py shows it before staff press "Route": per rep the
leads they would get, and how many would be left without a rep and why. It runs the live version
through the engine in arrival order, the way ``assign.route_leads`` would: the connection's
roster (routing/roster.py) with loads counted up as leads are given out, and a copy of the live
rotation threaded from lead to lead. The CRM is not called (no account lookup), and at most
``LIMIT`` leads are looked at.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from . import rulesets
from .assign import lead_values, policy_for, route_if
from .engine import decide
from .engine.facts import lead_facts
from .engine.types import Outcome, Roster, RotationState
from .existing_leads import candidates
from .models import DecisionOutcome, ExistingLeadsRun, RoutingState
from .roster import connection_roster

LIMIT = 1000


@dataclass(frozen=True)
class Distribution:
    published: bool
    looked_at: int
    per_rep: list[tuple[str, int]]  # rep name, leads, most first
    not_assigned: list[tuple[str, int]]  # outcome label, leads

    @property
    def assigned(self) -> int:
        return sum(n for _, n in self.per_rep)


def distribution(run: ExistingLeadsRun, *, now: datetime | None = None) -> Distribution:
    now = now or timezone.now()
    version = rulesets.live_version(run.organization_id)
    if version is None:
        return Distribution(published=False, looked_at=0, per_rep=[], not_assigned=[])
    ruleset = dataclasses.replace(
        rulesets.compiled_version(version), policy=route_if(policy_for(run.organization_id))
    )
    crm = connection_roster(run.connection, now)
    roster = crm.roster
    state = RoutingState.objects.filter(organization_id=run.organization_id).first()
    rotation = RotationState(
        last=dict(state.rotation_last) if state else {},
        credits={rule: dict(c) for rule, c in state.rotation_credits.items()} if state else {},
    )
    given: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    leads = list(candidates(run)[:LIMIT])
    for lead in leads:
        facts = lead_facts(f"lead:{lead.pk}", lead_values(lead))
        result = decide(facts, ruleset, roster, rotation, now=now)
        rotation = result.rotation or rotation
        if result.outcome == Outcome.ASSIGNED:
            given[result.rep_id] += 1
            rep = roster.reps[result.rep_id]
            reps = {**roster.reps, result.rep_id: dataclasses.replace(rep, open_leads=rep.open_leads + 1)}
            roster = Roster(reps=reps, teams=roster.teams)
        else:
            missed[DecisionOutcome(result.outcome.value).label] += 1
    return Distribution(
        published=True,
        looked_at=len(leads),
        per_rep=[(crm.names.get(rep_id, rep_id), n) for rep_id, n in given.most_common()],
        not_assigned=missed.most_common(),
    )
