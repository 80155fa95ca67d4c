"""Services: what the draft rule set would do to recent leads — computed in memory, written nowhere.

``simulate`` runs the draft (not the published version) through the engine against the
organization's last N leads, the way ``assign.route_leads`` would: each connection's roster from
``roster.connection_roster``, a copy of the live rotation threaded from lead to lead, and loads
counted up as leads are given out. Nothing is saved — no decision, no rotation, no write-back,
no journey entry — and the CRM is not called (an account-owner rule uses the account the lead's
current decision found, if any).

Two choices keep the comparison fair: the simulated leads' own current assignments are taken out
of the reps' open loads first (the draft would hand those leads out again, so they must not count
twice), and a CRM owner that routing itself wrote for the current decision does not make the
lead "owned" (otherwise every lead already routed would just be held by the owner filter).

A lead can differ from its current decision for two reasons: the edits, or the round robin having
moved on since it was routed (with unchanged rules, a lead shared by rotation lands on the next
rep). To tell them apart, the published version is run too, from the same rotation state and
loads: a lead the draft decides differently from the published rules differs *because of the
edits*; one both decide alike but unlike today differs *only because the rotation moved on* (or
loads, hours and time off changed since) when the live version routed it, else because rules were
published since (or it was never routed). Leads not simulated (a mapping error) are listed with why.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from crm_integrations.models import OrganizationIntegration
from field_mapping.models import Lead, LeadState
from field_mapping.models import Outcome as LeadOutcome

from . import rulesets
from .assign import lead_values, route_if
from .engine import decide
from .engine.facts import lead_facts
from .engine.types import AccountMatch, Outcome, Roster, RotationState, RuleSet
from .engine.types import Decision as EngineDecision
from .models import Decision, DecisionOutcome, Rep, RoutingPolicy, RoutingState
from .models import RuleSet as RuleSetRow
from .models.rules import strategy_label
from .roster import ConnectionRoster, connection_roster, open_loads

DEFAULT_LIMIT = 200
MAX_LIMIT = 5000


@dataclass(frozen=True)
class SimulatedLead:
    """One lead: its current decision (None: never routed) beside what the draft would do."""

    lead: Lead
    current: Decision | None
    outcome: str
    rep_id: str = ""
    rep_name: str = ""
    rule_name: str = ""
    via: str = ""
    strategy: str = ""
    detail: str = ""
    published: tuple[str, str] | None = None  # (outcome, rep id) by the published rules; None: none
    live_version_id: int | None = None

    @property
    def current_rep_id(self) -> str:
        return str(self.current.rep_id) if self.current is not None and self.current.rep_id else ""

    @property
    def changed(self) -> bool:
        if self.current is None:
            return True
        return (self.current.outcome, self.current_rep_id) != (self.outcome, self.rep_id)

    @property
    def by_edits(self) -> bool:
        """It differs from today's decision, and the published rules run from the same rotation
        state would decide it otherwise: the edits (or the rotation they shifted) did it."""
        if self.published is None:
            return self.changed
        return self.changed and self.published != (self.outcome, self.rep_id)

    @property
    def by_rotation(self) -> bool:
        """It differs from today's decision, the published rules would decide it alike now, and
        they are the rules that routed it: the rotation (or loads, hours) moved on."""
        return self.changed and not self.by_edits and self._routed_by_live

    @property
    def by_newer_rules(self) -> bool:
        """It differs, not by the edits, and rules were published since it was routed (or never was)."""
        return self.changed and not self.by_edits and not self._routed_by_live

    @property
    def _routed_by_live(self) -> bool:
        return self.current is not None and self.current.version_id == self.live_version_id

    @property
    def outcome_label(self) -> str:
        return DecisionOutcome(self.outcome).label

    @property
    def strategy_label(self) -> str:
        return strategy_label(self.strategy)


@dataclass(frozen=True)
class SkippedLead:
    """A lead among the newest that the simulation could not run, and why."""

    lead: Lead
    reason: str


@dataclass(frozen=True)
class RepLoad:
    """One rep: open leads now, and how many of the simulated leads each side gives them."""

    rep_id: str
    name: str
    open_now: int
    current: int
    simulated: int

    @property
    def difference(self) -> int:
        return self.simulated - self.current


@dataclass(frozen=True)
class SimulationReport:
    limit: int
    rule_count: int
    leads: list[SimulatedLead]
    loads: list[RepLoad]
    outcomes: Counter[str] = field(default_factory=Counter)
    skipped: list[SkippedLead] = field(default_factory=list)
    published_version: int | None = None

    @property
    def changed(self) -> int:
        return sum(1 for row in self.leads if row.changed)

    @property
    def by_edits(self) -> int:
        return sum(1 for row in self.leads if row.by_edits)

    @property
    def by_rotation(self) -> int:
        return sum(1 for row in self.leads if row.by_rotation)

    @property
    def by_newer_rules(self) -> int:
        return sum(1 for row in self.leads if row.by_newer_rules)

    @property
    def outcome_counts(self) -> list[tuple[str, int]]:
        return [(DecisionOutcome(outcome).label, n) for outcome, n in self.outcomes.most_common()]


def simulate(
    ruleset: RuleSetRow, limit: int = DEFAULT_LIMIT, *, now: datetime | None = None
) -> SimulationReport:
    """The draft of ``ruleset`` run on its organization's ``limit`` newest leads (those in a mapping
    error are skipped and listed), beside the published rules run from the same state.

    Raises ``ValidationError`` when the draft cannot be run (e.g. a malformed condition).
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    organization_id = ruleset.organization_id
    now = now or timezone.now()
    policy = _policy(organization_id)
    draft = _with_policy(rulesets.compile_snapshot(rulesets.draft_snapshot(ruleset), version="draft"), policy)
    live = rulesets.live_version(organization_id)
    newest = list(
        Lead.objects.filter(organization_id=organization_id)
        .select_related("connection__integration")
        .order_by("-first_received_at", "-pk")[:limit]
    )
    skipped = [SkippedLead(lead, _skip_reason(lead)) for lead in newest if lead.state != LeadState.OK]
    newest = [lead for lead in newest if lead.state == LeadState.OK]
    current = {
        decision.lead_id: decision
        for decision in Decision.objects.filter(lead__in=newest, is_current=True).select_related(
            "lead", "rep", "owner_write"
        )
    }
    freed = _freed_loads(current.values())
    rosters: dict[Any, ConnectionRoster] = {}
    run = _Run(organization_id, draft, now, freed, rosters)
    # The published rules from the same rotation state and loads (their own copy of both).
    baseline = (
        _Run(organization_id, _with_policy(rulesets.compiled_version(live), policy), now, freed, rosters)
        if live is not None
        else None
    )
    # Decided in arrival order (so the rotation moves as it would have), shown newest first.
    results, published = {}, {}
    for lead in reversed(newest):
        results[lead.pk] = run.decide(lead, current.get(lead.pk))
        if baseline is not None:
            result = baseline.decide(lead, current.get(lead.pk))
            published[lead.pk] = (result.outcome.value, result.rep_id)
    rows = [
        dataclasses.replace(
            _row(lead, current.get(lead.pk), results[lead.pk], run.names, published.get(lead.pk)),
            live_version_id=live.pk if live is not None else None,
        )
        for lead in newest
    ]
    return SimulationReport(
        limit=limit,
        rule_count=len(draft.rules),
        leads=rows,
        loads=_loads(organization_id, rows),
        outcomes=Counter(row.outcome for row in rows),
        skipped=skipped,
        published_version=live.number if live is not None else None,
    )


def _policy(organization_id: int) -> RoutingPolicy:
    # An organization without a saved policy routes by the defaults (not saved here either).
    return RoutingPolicy.objects.filter(organization_id=organization_id).first() or RoutingPolicy(
        organization_id=organization_id
    )


def _with_policy(rules: RuleSet, policy: RoutingPolicy) -> RuleSet:
    return dataclasses.replace(rules, policy=route_if(policy))


def _skip_reason(lead: Lead) -> str:
    """Why a lead is not simulated: its state, and the mapping errors it names."""
    errors = [
        f"{error.get('field')}: {error.get('message')}" if error.get("field") else str(error.get("message"))
        for error in lead.mapping_errors or ()
        if isinstance(error, dict)
    ]
    label = lead.get_state_display()
    return f"{label}: {'; '.join(errors)}" if errors else f"{label}: routing cannot read this lead yet"


def _is_open(lead: Lead) -> bool:
    return lead.status in (None, LeadOutcome.OPEN)


def _freed_loads(decisions: Iterable[Decision]) -> Counter[str]:
    """Open loads the simulated leads hold now (taken out: the draft gives these leads out again)."""
    return Counter(
        str(d.rep_id)
        for d in decisions
        if d.outcome == DecisionOutcome.ASSIGNED and d.rep_id and _is_open(d.lead)
    )


class _Run:
    """Decisions of one simulation: per-connection rosters whose loads move with every assignment
    (a rep is one person across CRMs), and one rotation threaded through them all."""

    def __init__(
        self,
        organization_id: int,
        draft: RuleSet,
        now: datetime,
        freed: Counter[str],
        crms: dict[Any, ConnectionRoster],
    ) -> None:
        self.draft = draft
        self.now = now
        self.freed = freed
        self.given: Counter[str] = Counter()
        self.crms = crms  # shared between runs: each CRM's roster read once
        self.rosters: dict[Any, Roster] = {}
        self.names: dict[str, str] = {}
        state = RoutingState.objects.filter(organization_id=organization_id).first()
        self.rotation = RotationState(
            last=dict(state.rotation_last) if state else {},
            credits={rule: dict(c) for rule, c in state.rotation_credits.items()} if state else {},
        )

    def _crm(self, connection: OrganizationIntegration) -> ConnectionRoster:
        if connection.pk not in self.crms:
            self.crms[connection.pk] = connection_roster(connection, self.now)
        crm = self.crms[connection.pk]
        if connection.pk not in self.rosters:
            self.names.update(crm.names)
            self.rosters[connection.pk] = self._adjusted(crm.roster)
        return crm

    def _adjusted(self, roster: Roster) -> Roster:
        """``roster`` with the simulated leads' current loads out and the draft's given ones in."""
        reps = {
            rep_id: dataclasses.replace(
                rep, open_leads=max(rep.open_leads - self.freed[rep_id], 0) + self.given[rep_id]
            )
            for rep_id, rep in roster.reps.items()
        }
        return Roster(reps=reps, teams=roster.teams)

    def decide(self, lead: Lead, current: Decision | None) -> EngineDecision:
        crm = self._crm(lead.connection)
        ours = current.owner_write.owner_external_id if _wrote_owner(current) else ""
        owner = "" if ours and lead.owner_external_id == ours else lead.owner_external_id
        facts = lead_facts(
            f"lead:{lead.pk}",
            lead_values(lead),
            owner_rep_id=crm.rep_by_owner.get(owner, "") if owner else "",
            owner_external_id=owner,
        )
        result = decide(
            facts,
            self.draft,
            self.rosters[lead.connection_id],
            self.rotation,
            now=self.now,
            account=_account(current),
        )
        if result.rotation is not None:
            self.rotation = result.rotation
        if result.outcome == Outcome.ASSIGNED:
            self.given[result.rep_id] += 1
            self._count(result.rep_id)
        return result

    def _count(self, rep_id: str) -> None:
        """One more open lead for ``rep_id`` in every roster that has them."""
        for key, roster in self.rosters.items():
            rep = roster.reps.get(rep_id)
            if rep is not None:
                reps = {**roster.reps, rep_id: dataclasses.replace(rep, open_leads=rep.open_leads + 1)}
                self.rosters[key] = Roster(reps=reps, teams=roster.teams)


def _wrote_owner(decision: Decision | None) -> bool:
    return decision is not None and decision.rep_id is not None and hasattr(decision, "owner_write")


def _account(decision: Decision | None) -> AccountMatch | None:
    """The account the current decision matched (the simulation makes no CRM call to find one)."""
    found = decision.trace.get("account") if decision is not None else None
    if not isinstance(found, dict):
        return None
    return AccountMatch(**{f.name: str(found.get(f.name) or "") for f in dataclasses.fields(AccountMatch)})


def _row(
    lead: Lead,
    current: Decision | None,
    result: EngineDecision,
    names: dict[str, str],
    published: tuple[str, str] | None,
) -> SimulatedLead:
    rule = next((r.name for r in result.rules if r.rule_id == result.rule_id), "")
    return SimulatedLead(
        lead=lead,
        current=current,
        outcome=result.outcome.value,
        rep_id=result.rep_id,
        rep_name=names.get(result.rep_id, result.rep_id),
        rule_name=rule,
        via=result.via,
        strategy=result.strategy,
        detail=_detail(result),
        published=published,
    )


def _detail(result: EngineDecision) -> str:
    if result.outcome == Outcome.HELD:
        return next((f"{f.name}: {f.detail}" for f in result.filters if not f.passed), result.held_by)
    if result.outcome == Outcome.NO_RULE:
        return f"no rule matched ({len(result.rules)} tried)"
    if result.outcome == Outcome.NO_ELIGIBLE_REP:
        return "; ".join(sorted({c.reason for c in result.candidates})) or "empty pool"
    return ""


def _loads(organization_id: int, rows: Sequence[SimulatedLead]) -> list[RepLoad]:
    """Every rep of the organization (and anyone either side gave a lead), by name."""
    current = Counter(row.current_rep_id for row in rows if row.current_rep_id)
    simulated = Counter(row.rep_id for row in rows if row.rep_id)
    open_now = open_loads(organization_id)
    reps = Rep.objects.filter(Q(organization_id=organization_id) | Q(pk__in=[*current, *simulated]))
    return [
        RepLoad(str(rep.pk), str(rep), open_now[rep.pk], current[str(rep.pk)], simulated[str(rep.pk)])
        for rep in reps.order_by("name", "pk")
    ]
