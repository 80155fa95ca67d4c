"""The routing decision: filters, then the first matching rule, then a rep from its pool or fallback.

:func:`prepare` compiles a rule set once (:class:`CompiledRuleSet`, kept per rule set object) and
:func:`decide` is a thin wrapper over it. What the compiled rule set keeps between decisions is
keyed on what it depends on, so it stays valid when the caller passes a new ``Roster`` after each
assignment (as the service layer does when a rep's load moves):

* conditions' results and rule traces per field value (``conditions.py``);
* each rule's pool order per ``roster.teams`` mapping object (a member absent from the roster is
  skipped at decision time);
* each rep's availability, with the local-time window through which it holds, and candidate
  traces, per ``RepState`` object (a replaced rep is looked at afresh).

Treat the inputs as immutable: a mapping changed in place after a decision may not be seen.
The engine never reads the clock (``now`` is an argument) and has no randomness: the same inputs
give an equal :class:`Decision`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Generic, TypeVar

from .conditions import CompiledRule, compile_rule, first_match
from .eligibility import LocalMoment, availability_at, availability_window, local_moment, zone_name
from .filters import fold_sources, held_by, run_filters
from .pools import pool_order
from .strategies import choose, pool_strategy
from .types import (
    AccountMatch,
    CandidateTrace,
    Decision,
    LeadFacts,
    Outcome,
    RepState,
    Roster,
    RotationState,
    RuleSet,
    Strategy,
)
from .values import LeadView

POOL, FALLBACK, ACCOUNT_OWNER = "pool", "fallback", "account owner"
WEIGHT_ZERO = "weight 0"
_NO_MOMENT: LocalMoment = (date.min, 0, 0)  # for reps with neither absences nor working hours
#: Entries kept per rep object (availability windows, candidate traces) before starting afresh.
REP_MEMO_LIMIT = 20_000

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """The last ``size`` values built for tuples of objects, keyed on the objects' identity. Holds
    the objects too, so an id cannot be reused by another object while its entry lives."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, ...], tuple[tuple[object, ...], V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, objects: tuple[object, ...], build: Callable[[], V]) -> V:
        key = tuple(id(o) for o in objects)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and all(a is b for a, b in zip(entry[0], objects, strict=True)):
                self._entries.move_to_end(key)
                return entry[1]
        value = build()
        with self._lock:
            self._entries[key] = (objects, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


class RulePools:
    """A rule's pool and fallback in pool order (:func:`~.pools.pool_order`) for one team mapping,
    and the reps whose rotation credits the rule keeps (both pools)."""

    __slots__ = ("fallback", "keep", "pool")

    def __init__(self, pool: tuple[str, ...], fallback: tuple[str, ...]) -> None:
        self.pool, self.fallback = pool, fallback
        self.keep = frozenset(pool) | frozenset(fallback)


class _Availability:
    """Availability of reps at one ``now``. The local moment is computed once per time zone; an
    answer is reused (also across decisions, through ``windows``) while the rep object is the same
    and its local time stays in the window of the day through which the answer holds."""

    __slots__ = ("_moments", "_now", "_windows")

    def __init__(self, now: datetime, windows: dict[int, tuple[RepState, date, int, int, tuple[bool, str]]]):
        local_moment(now, "UTC")  # refuses a naive ``now`` before anything else
        self._now = now
        self._moments: dict[str, LocalMoment] = {}
        self._windows = windows

    def __call__(self, rep: RepState) -> tuple[bool, str]:
        if not rep.out_of_office and rep.working_hours is None:
            return availability_at(rep, _NO_MOMENT)
        name = zone_name(rep)
        moment = self._moments.get(name)
        if moment is None:
            moment = self._moments[name] = local_moment(self._now, name)
        day, _, minute = moment
        window = self._windows.get(id(rep))
        if window is not None and window[0] is rep and window[1] == day and window[2] <= minute < window[3]:
            return window[4]
        result, low, high = availability_window(rep, moment)
        if len(self._windows) >= REP_MEMO_LIMIT:
            self._windows.clear()
        self._windows[id(rep)] = (rep, day, low, high, result)
        return result


class CompiledRuleSet:
    """One rule set prepared for many decisions: ``prepare(ruleset).decide(lead, roster, ...)``."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules: tuple[CompiledRule, ...] = tuple(compile_rule(rule) for rule in ruleset.rules)
        self.excluded_sources = fold_sources(ruleset.policy.excluded_sources)
        self._pools: IdentityCache[dict[int, RulePools]] = IdentityCache(8)
        self._windows: dict[int, tuple[RepState, date, int, int, tuple[bool, str]]] = {}
        self._traces: dict[tuple[int, bool, str], tuple[RepState, CandidateTrace]] = {}

    def pools(self, index: int, teams: Mapping[str, tuple[str, ...]]) -> RulePools:
        """The pools of the ``index``-th rule under ``teams`` (kept per teams mapping object)."""
        by_rule = self._pools.get((teams,), dict)
        found = by_rule.get(index)
        if found is None:
            rule = self.rules[index].rule
            found = by_rule[index] = RulePools(pool_order(rule.pool, teams), pool_order(rule.fallback, teams))
        return found

    def _candidate(self, rep: RepState, eligible: bool, reason: str) -> CandidateTrace:
        key = (id(rep), eligible, reason)
        kept = self._traces.get(key)
        if kept is not None and kept[0] is rep:
            return kept[1]
        trace = CandidateTrace(rep.id, eligible, reason, rep.score, rep.open_leads, rep.capacity)
        if len(self._traces) >= REP_MEMO_LIMIT:
            self._traces.clear()
        self._traces[key] = (rep, trace)
        return trace

    def decide(
        self,
        lead: LeadFacts,
        roster: Roster,
        rotation: RotationState,
        *,
        now: datetime,
        account: AccountMatch | None = None,
    ) -> Decision:
        """See :func:`decide`."""
        available = _Availability(now, self._windows)
        filters, proceeds = run_filters(
            lead, self.ruleset.policy, roster, excluded_sources=self.excluded_sources
        )
        if not proceeds:
            return Decision(Outcome.HELD, held_by=held_by(filters), filters=filters, account=account)

        rule_traces, matched_index = first_match(self.rules, LeadView(lead.fields))
        if matched_index < 0:
            return Decision(Outcome.NO_RULE, filters=filters, rules=rule_traces, account=account)

        rule = self.rules[matched_index].rule
        strategy = Strategy(rule.strategy)
        candidates: dict[str, CandidateTrace] = {}
        common = {"rule_id": rule.id, "filters": filters, "rules": rule_traces, "account": account}

        if strategy is Strategy.ACCOUNT_OWNER and account is not None:
            owner = roster.reps.get(account.owner_rep_id) if account.owner_rep_id else None
            if owner is not None:
                eligible, reason = available(owner)
                candidates[owner.id] = self._candidate(owner, eligible, reason)
                if eligible:
                    return Decision(
                        Outcome.ASSIGNED,
                        rep_id=owner.id,
                        via=ACCOUNT_OWNER,
                        strategy=Strategy.ACCOUNT_OWNER.value,
                        candidates=tuple(candidates.values()),
                        **common,
                    )

        serving = pool_strategy(strategy, Strategy(rule.pool_strategy))
        pools = self.pools(matched_index, roster.teams)
        for via, order in ((POOL, pools.pool), (FALLBACK, pools.fallback)):
            position: dict[str, int] = {}
            eligible_reps = self._eligible(order, roster, serving, available, candidates, position)
            pick = choose(serving, rule.id, eligible_reps, position, rotation, pools.keep)
            if pick is not None:
                return Decision(
                    Outcome.ASSIGNED,
                    rep_id=pick.rep_id,
                    via=via,
                    strategy=serving.value,
                    candidates=tuple(candidates.values()),
                    rotation=pick.rotation,
                    **common,
                )
        return Decision(
            Outcome.NO_ELIGIBLE_REP, strategy=serving.value, candidates=tuple(candidates.values()), **common
        )

    def _eligible(
        self,
        order: tuple[str, ...],
        roster: Roster,
        strategy: Strategy,
        available: Callable[[RepState], tuple[bool, str]],
        candidates: dict[str, CandidateTrace],
        position: dict[str, int],
    ) -> list[tuple[int, RepState]]:
        """The eligible reps of a pool as (pool index, rep), walking ``order`` and skipping ids the
        roster does not have. Fills ``position`` (rep id -> pool index, every member) and
        ``candidates`` (every member, once). Under weighted round robin a rep of weight 0 cannot be
        chosen: "weight 0"."""
        weighted = strategy is Strategy.WEIGHTED_ROUND_ROBIN
        reps = roster.reps
        eligible: list[tuple[int, RepState]] = []
        index = 0
        for rep_id in order:
            rep = reps.get(rep_id)
            if rep is None:
                continue
            position[rep.id] = index
            ok, reason = available(rep)
            if ok and weighted and rep.weight <= 0:
                ok, reason = False, WEIGHT_ZERO
            if rep.id not in candidates:
                candidates[rep.id] = self._candidate(rep, ok, reason)
            if ok:
                eligible.append((index, rep))
            index += 1
        return eligible


_PREPARED: IdentityCache[CompiledRuleSet] = IdentityCache(8)


def prepare(ruleset: RuleSet) -> CompiledRuleSet:
    """The :class:`CompiledRuleSet` of ``ruleset`` (kept for the last few rule set objects)."""
    return _PREPARED.get((ruleset,), lambda: CompiledRuleSet(ruleset))


class Engine:
    """One rule set and roster: ``Engine(ruleset, roster).decide(lead, rotation, now=..., account=...)``."""

    def __init__(self, ruleset: RuleSet, roster: Roster) -> None:
        self.compiled = prepare(ruleset)
        self.roster = roster

    def decide(
        self, lead: LeadFacts, rotation: RotationState, *, now: datetime, account: AccountMatch | None = None
    ) -> Decision:
        return self.compiled.decide(lead, self.roster, rotation, now=now, account=account)


def decide(
    lead: LeadFacts,
    ruleset: RuleSet,
    roster: Roster,
    rotation: RotationState,
    *,
    now: datetime,
    account: AccountMatch | None = None,
) -> Decision:
    """Route ``lead``: route-if filters (HELD), then rules in order, the first match wins (NO_RULE
    if none); then a rep from the rule's pool by its strategy, else from its fallback with the same
    strategy (NO_ELIGIBLE_REP if nobody can take it). ACCOUNT_OWNER first tries ``account``'s owner
    (any rep in the roster, in the pool or not) and otherwise serves the pools with the rule's
    ``pool_strategy``.

    Traces: every filter; every rule evaluated (earlier ones unmatched, the matched one last; each
    with the reasons of the conditions evaluated until the outcome was known); every rep considered
    (account owner, pool, fallback; once each). ``Decision.strategy`` is the strategy that picked
    (a pool's, or "account_owner"); ``Decision.rotation`` is the new rotation state when a rotation
    picked, else None. ``now`` must be timezone-aware.
    """
    return prepare(ruleset).decide(lead, roster, rotation, now=now, account=account)
