"""Services: routing leads — decide, store the decision and its trace under the organization's
routing lock, queue the owner write-back, and write the journey.

The lock is the organization's ``RoutingState`` row, and where a batch is decided depends on what
that lock holds up (``decides_under_lock``). On PostgreSQL it is a row lock: it holds up only the
same organization's other routing, so a batch is decided and stored under it. On SQLite it is the
database's one writer, which every organization shares: deciding 200 leads inside it made another
organization's lone lead wait behind it (docs/benchmarks.md, the seventeenth pass). There a batch is
decided first, from the state as read then (its ``revision``), the roster's loads and the leads'
decisions; the short transaction that stores it takes the lock and checks the revision: if another
batch was stored meanwhile, the batch is decided again (``_stored``: with no lock held, then under
the lock should it lose again). Either way two workers routing at once never overfill a rep nor
break the round-robin order. CRM calls (account lookups) happen before any of this; the write-back
is flushed after the commit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from crm_integrations.core import registry, tracing
from crm_integrations.core.row_inserts import insert_all
from crm_integrations.models import OrganizationIntegration
from field_mapping import selectors as mapping_selectors
from field_mapping.models import CanonicalField, Lead

from . import journey, rulesets, writeback
from .accounts import match_accounts
from .engine import decide
from .engine.facts import lead_facts
from .engine.types import AccountMatch, Outcome, Roster, RotationState, RouteIfPolicy, RuleSet, Strategy
from .engine.types import Decision as EngineDecision
from .models import (
    Decision,
    DecisionTrigger,
    JourneyEvent,
    JourneyKind,
    OwnerWrite,
    RepIdentity,
    RoutingPolicy,
    RoutingState,
    WriteStatus,
)
from .models.rules import strategy_label
from .reps_sync import sync_reps
from .roster import ConnectionRoster, connection_roster
from .tracing import decision_span

LEAD_FIELDS = ("source", "amount", "industry", "status", "name", "email", "company", "country", "lead_type")


def policy_for(organization_id: int) -> RoutingPolicy:
    policy, _ = RoutingPolicy.objects.get_or_create(organization_id=organization_id)
    return policy


def route_if(policy: RoutingPolicy) -> RouteIfPolicy:
    return RouteIfPolicy(
        owner_policy=policy.owner_policy,
        placeholder_owner_ids=_listed(policy.placeholder_owner_ids),
        excluded_sources=_listed(policy.excluded_sources),
    )


def _listed(text: str) -> frozenset[str]:
    return frozenset(item.strip() for item in text.split(",") if item.strip())


def lead_values(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in LEAD_FIELDS}


def route_leads(
    connection: OrganizationIntegration,
    leads: Sequence[Lead],
    *,
    trigger: str = DecisionTrigger.INTAKE,
    reason: str = "",
    only_undecided: bool = True,
    exclude_rep_ids: Sequence[str] = (),
    keep_unless_assigned: bool = False,
) -> list[Decision]:
    """Route these leads of one connection; returns the decisions made (leads skipped get none).

    ``only_undecided`` (intake): a lead that already has a current decision is left alone, so a
    redelivered webhook or our own owner write coming back never routes a lead twice.
    ``keep_unless_assigned`` (re-routes): the current decision stays unless a rep is found, and
    its ``retried_at`` says when it was tried; the attempt is noted in the journey either way.
    """
    leads = [lead for lead in leads if lead.connection_id == connection.pk]
    if not leads:
        return []
    policy = policy_for(connection.organization_id)
    version = rulesets.live_version(connection.organization_id)
    why_not = _why_not_routed(policy, version)
    if why_not:
        journey.record(journey.event(lead, JourneyKind.NOT_ROUTED, why_not) for lead in leads)
        return []
    ruleset = dataclasses.replace(rulesets.compiled_version(version), policy=route_if(policy))
    if not RepIdentity.objects.filter(connection=connection).exists():
        sync_reps(connection)  # a new connection's first leads: learn its owners first
    accounts = _accounts(connection, ruleset, leads)
    state, _ = RoutingState.objects.get_or_create(organization_id=connection.organization_id)
    job = _Job(
        connection=connection,
        leads=leads,
        ruleset=ruleset,
        version=version,
        accounts=accounts,
        trigger=trigger,
        reason=reason,
        exclude_rep_ids=exclude_rep_ids,
        only_undecided=only_undecided,
        keep_unless_assigned=keep_unless_assigned,
    )
    if decides_under_lock():
        batch = _decided_under_lock(job, state)
    else:
        batch = _stored(job, decide_batch(job, state))
    made = [decision for decision in batch.made if decision is not None]
    if any(hasattr(decision, "owner_write") for decision in made):
        transaction.on_commit(lambda: writeback.request_flush(connection.pk))
    return made


def decides_under_lock() -> bool:
    """Whether batches are decided holding the routing lock: where the lock is a row's (PostgreSQL),
    not the whole database's writer (SQLite). Deciding first, two processes taking in one backlog on
    PostgreSQL decided 800 to 1,400 of a 5,000-lead burst's leads twice, the first time for nothing
    (docs/benchmarks.md, the eighteenth pass)."""
    return db_connection.vendor != "sqlite"


def _decided_under_lock(job: _Job, state: RoutingState) -> _Batch:
    """Decide and store ``job``'s batch holding the organization's routing lock: nothing is stored
    meanwhile, so it is decided once."""
    with transaction.atomic():
        batch = decide_batch(job, RoutingState.objects.select_for_update().get(pk=state.pk))
        if batch.made:
            batch.save()
    return batch


#: Times a batch is decided with no lock held: should other batches be stored meanwhile each time,
#: it is then decided under the lock, where none can be.
DECIDED_UNLOCKED = 2


def _stored(job: _Job, batch: _Batch) -> _Batch:
    """Store ``batch``, decided with no lock held (SQLite: ``decides_under_lock``), under the routing
    lock unless another batch was stored since it was decided; then decide it again from the newer
    state, with no lock held (two processes taking in one backlog race now and then: a 5,000-lead
    drain decided 400 leads again, inside SQLite's one writer until this), and under the lock once
    it has lost ``DECIDED_UNLOCKED`` times. A batch with nothing to route (an echo, a redelivery)
    takes no lock at all. Returns the batch stored, or left unstored."""
    unlocked = 1
    while batch.made:
        with transaction.atomic():
            state = RoutingState.objects.select_for_update().get(pk=batch.state.pk)
            if state.revision != batch.state.revision and unlocked >= DECIDED_UNLOCKED:
                batch = decide_batch(job, state, again=True)  # under the lock: nothing is stored meanwhile
            if state.revision == batch.state.revision:
                batch.save()
                return batch
        batch = decide_batch(job, state, again=True)
        unlocked += 1
    return batch


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Job:
    """What ``route_leads`` was asked to route, decided once or, after a conflict, again."""

    connection: OrganizationIntegration
    leads: Sequence[Lead]
    ruleset: RuleSet
    version: Any
    accounts: dict[int, AccountMatch]
    trigger: str
    reason: str
    exclude_rep_ids: Sequence[str]
    only_undecided: bool
    keep_unless_assigned: bool


def decide_batch(job: _Job, state: RoutingState, *, again: bool = False) -> _Batch:
    """Decide ``job``'s leads from ``state`` as read (stored by ``_Batch.save``). Everything else is
    read after ``state``, so a batch stored in between has moved its revision and is seen.
    ``again``: the first decisions were set aside for these (their spans say so)."""
    leads = list(job.leads)
    if job.only_undecided:
        decided = set(
            Decision.objects.filter(lead__in=leads, is_current=True).values_list("lead_id", flat=True)
        )
        leads = [lead for lead in leads if lead.pk not in decided]
    now = timezone.now()
    batch = _Batch(
        job.connection, connection_roster(job.connection, now), state, job.exclude_rep_ids, job.only_undecided
    )
    for lead in leads:
        with decision_span(lead, again=again):  # in the lead's own trace (routing/tracing.py)
            batch.made.append(
                batch.route(
                    lead,
                    job.ruleset,
                    job.version,
                    job.accounts.get(lead.pk),
                    job.trigger,
                    job.reason,
                    now,
                    job.keep_unless_assigned,
                )
            )
    return batch


def _why_not_routed(policy: RoutingPolicy, version: Any) -> str:
    if not policy.enabled:
        return "Not routed: routing is switched off for this organization"
    if version is None:
        return "Not routed: no rule set has been published yet"
    return ""


def _accounts(
    connection: OrganizationIntegration, ruleset: RuleSet, leads: Sequence[Lead]
) -> dict[int, AccountMatch]:
    """Account matches, looked up only when a rule routes by account owner (it costs CRM calls)."""
    if not any(rule.strategy == Strategy.ACCOUNT_OWNER for rule in ruleset.rules):
        return {}
    owners = dict(RepIdentity.objects.filter(connection=connection).values_list("external_id", "rep_id"))
    return match_accounts(
        registry.get_client(connection), leads, {owner: str(rep) for owner, rep in owners.items()}
    )


class _Batch:
    """Decisions of one locked batch: the roster's loads and the rotation move with each one."""

    def __init__(
        self,
        connection: OrganizationIntegration,
        crm: ConnectionRoster,
        state: RoutingState,
        exclude_rep_ids: Sequence[str],
        only_undecided: bool = False,
    ) -> None:
        self.connection = connection
        self.only_undecided = only_undecided
        self.crm = crm
        self.state = state
        reps = {rep_id: rep for rep_id, rep in crm.roster.reps.items() if rep_id not in exclude_rep_ids}
        self.roster = Roster(reps=reps, teams=crm.roster.teams)
        self.rotation = RotationState(last=state.rotation_last, credits=state.rotation_credits)
        self.owner_property = _owner_property(connection)
        self.decisions: list[tuple[Decision, OwnerWrite | None]] = []
        self.events: list[JourneyEvent] = []
        self.made: list[Decision | None] = []  # one per lead routed, None where the current one stays
        self.kept: list[int] = []  # leads whose current decision stays (``keep_unless_assigned``)

    def route(
        self,
        lead: Lead,
        ruleset: RuleSet,
        version: Any,
        account: AccountMatch | None,
        trigger: str,
        reason: str,
        now: Any,
        keep_unless_assigned: bool = False,
    ) -> Decision | None:
        owner = "" if not self.only_undecided and self._owned_by_us(lead) else lead.owner_external_id
        facts = lead_facts(
            f"lead:{lead.pk}",
            lead_values(lead),
            owner_rep_id=self.crm.rep_by_owner.get(owner, "") if owner else "",
            owner_external_id=owner,
        )
        started = time.perf_counter()
        result = decide(facts, ruleset, self.roster, self.rotation, now=now, account=account)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if keep_unless_assigned and result.outcome != Outcome.ASSIGNED:
            kind, summary = _summary(result, self.crm.names, reason)
            self.events.append(journey.event(lead, kind, f"{summary}; the current assignment stays"))
            self.kept.append(lead.pk)
            return None
        if result.rotation is not None:
            self.rotation = result.rotation
        if result.outcome == Outcome.ASSIGNED:
            chosen = self.roster.reps[result.rep_id]
            reps = {
                **self.roster.reps,
                chosen.id: dataclasses.replace(chosen, open_leads=chosen.open_leads + 1),
            }
            self.roster = Roster(reps=reps, teams=self.roster.teams)
        decision = Decision(
            lead=lead,
            organization_id=lead.organization_id,
            version=version,
            trigger=trigger,
            outcome=result.outcome.value,
            rep_id=int(result.rep_id) if result.rep_id else None,
            rule_key=result.rule_id,
            rule_name=_rule_name(result),
            via=result.via,
            strategy=result.strategy,
            held_by=result.held_by,
            reason=reason[:255],
            trace=self._trace(result),
            decided_at=now,
            decide_ms=elapsed_ms,
        )
        write = (
            self._owner_write(decision, lead, result.rep_id, now)
            if result.outcome == Outcome.ASSIGNED
            else None
        )
        self.decisions.append((decision, write))
        self.events.append(journey.event(lead, *_summary(result, self.crm.names, reason), decision=decision))
        return decision

    @staticmethod
    def _owned_by_us(lead: Lead) -> bool:
        """The lead's owner is the one our current assignment wrote: no owner conflict on a re-route."""
        if not lead.owner_external_id:
            return False
        return OwnerWrite.objects.filter(
            decision__lead=lead, decision__is_current=True, owner_external_id=lead.owner_external_id
        ).exists()

    def _trace(self, result: EngineDecision) -> dict[str, Any]:
        # What ``dataclasses.asdict`` gives (the JSON stored is the same), without its deep copies:
        # the engine's results are frozen and shared by no one, so copying them was wasted CPU per lead.
        fields = [field.name for field in dataclasses.fields(result) if field.name != "rotation"]
        trace = {name: _plain(getattr(result, name)) for name in fields}
        named = {c.rep_id for c in result.candidates} | {result.rep_id} - {""}
        trace["names"] = {rep_id: self.crm.names.get(rep_id, rep_id) for rep_id in named}
        return trace

    def _owner_write(self, decision: Decision, lead: Lead, rep_id: str, now: Any) -> OwnerWrite:
        owner = self.crm.owner_by_rep.get(rep_id, "")
        problem = "" if self.owner_property else "the owner field is on an associated record or not mapped"
        done = bool(owner) and owner == lead.owner_external_id and not problem
        return OwnerWrite(
            decision=decision,
            connection=self.connection,
            object_type=lead.object_type,
            record_id=lead.external_id,
            owner_property=self.owner_property,
            owner_external_id=owner,
            status=WriteStatus.WRITTEN if done else (WriteStatus.FAILED if problem else WriteStatus.PENDING),
            last_error=f"Cannot write the owner back: {problem}" if problem else "",
            written_at=now if done else None,
            created_at=now,
            trace_context=tracing.current_traceparent(),  # the lead's trace, for the write-back batch
        )

    def save(self) -> None:
        """Write the batch's decisions, owner writes and journey in a few statements (under the lock,
        its state's revision checked by ``_stored`` or held by ``_decided_under_lock``)."""
        if not self.only_undecided:  # at intake the leads have no decision yet: nothing to retire
            retired = [decision.lead_id for decision, _ in self.decisions]
            Decision.objects.filter(lead_id__in=retired, is_current=True).update(is_current=False)
        if self.kept:  # the sweeps try these again after their wait (routing/sweeps.py)
            Decision.objects.filter(lead_id__in=self.kept, is_current=True).update(retried_at=timezone.now())
        insert_all([decision for decision, _ in self.decisions])
        writes = []
        for decision, write in self.decisions:
            if write is not None:
                write.decision = decision  # now that it has its id
                decision.owner_write = write
                writes.append(write)
        insert_all(writes)
        for event in self.events:
            if event.decision is not None:
                event.decision = event.decision
        journey.record(self.events)
        self.state.rotation_last = dict(self.rotation.last)
        self.state.rotation_credits = {rule: dict(credits) for rule, credits in self.rotation.credits.items()}
        self.state.revision += 1  # a batch decided from the state as it was is decided again
        self.state.save(update_fields=["rotation_last", "rotation_credits", "revision", "updated_at"])


#: Types ``_plain`` returns as they are (most of a trace's leaves).
_LEAVES = frozenset({str, int, float, bool, type(None)})
#: A dataclass's field names, looked up once per class (``dataclasses.fields`` builds a tuple per
#: call: 14 calls per routed lead, a tenth of a burst's routing CPU).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """A dataclass tree as dicts and lists (tuples become lists: JSON has no tuples)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _FIELD_NAMES.setdefault(kind, tuple(field.name for field in dataclasses.fields(kind)))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _owner_property(connection: OrganizationIntegration) -> str:
    """The CRM property the mapping reads the owner from: where the owner is written back."""
    spec = mapping_selectors.spec_for_connection(connection)
    rule = next((r for r in (spec.rules if spec else ()) if r.canonical_field == CanonicalField.OWNER), None)
    return rule.source_path if rule is not None and "." not in rule.source_path else ""


def _rule_name(result: EngineDecision) -> str:
    return next((rule.name for rule in result.rules if rule.rule_id == result.rule_id), "")


def _summary(result: EngineDecision, names: dict[str, str], reason: str) -> tuple[JourneyKind, str]:
    prefix = f"{reason}: " if reason else ""
    if result.outcome == Outcome.ASSIGNED:
        rule = _rule_name(result)
        who = names.get(result.rep_id, result.rep_id)
        how = strategy_label(result.strategy).lower()
        return JourneyKind.ROUTED, f"{prefix}routed to {who} by rule '{rule}' ({how}, via {result.via})"
    if result.outcome == Outcome.HELD:
        detail = next((f.detail for f in result.filters if not f.passed), "")
        return JourneyKind.HELD, f"{prefix}not routed: filter '{result.held_by}' held it ({detail})"
    if result.outcome == Outcome.NO_RULE:
        return JourneyKind.NOT_ROUTED, f"{prefix}not routed: no rule matched ({len(result.rules)} tried)"
    return JourneyKind.NOT_ROUTED, f"{prefix}not routed: nobody in rule '{_rule_name(result)}' could take it"
