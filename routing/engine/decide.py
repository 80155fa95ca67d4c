"""The routing decision: filters, then the first matching rule, then a rep from its pool or fallback.

:class:`Engine` holds one rule set compiled against one roster (conditions compiled, pools resolved
lazily per rule, candidate traces shared); :func:`decide` is a thin wrapper that keeps a few engines
keyed on the identity of the ``ruleset`` and ``roster`` objects, so a caller passing the same
(frozen) objects again pays the preparation once. Treat those objects as immutable: a mapping
changed in place after a decision is not seen by the cached engine.

The engine never reads the clock (``now`` is an argument) and has no randomness: the same inputs
give an equal :class:`Decision`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from typing import Generic, TypeVar

from .conditions import CompiledRule, compile_rule, first_match
from .eligibility import LocalMoment, availability_at, availability_window, local_moment, zone_name
from .filters import fold_sources, held_by, run_filters
from .pools import Members, pool_members, team_members
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
_NO_MOMENT: LocalMoment = (date.min, 0, 0)  # for reps with neither absences nor hours


#: A pool member as the engine walks it: (pool index, rep, availability when it never changes, else None).
Entry = tuple[int, RepState, tuple[bool, str] | None]


def _entries(members: Members) -> tuple[Entry, ...]:
    """A rep without absences or working hours is available (or not) whatever the time: its
    verdict is computed once."""
    return tuple(
        (
            index,
            rep,
            None if rep.out_of_office or rep.working_hours is not None else availability_at(rep, _NO_MOMENT),
        )
        for index, rep in enumerate(members.reps)
    )


class RulePools:
    """A rule's pool and fallback resolved against the roster, and the reps whose rotation credits
    the rule keeps (both pools)."""

    __slots__ = ("fallback", "fallback_entries", "keep", "pool", "pool_entries")

    def __init__(self, pool: Members, fallback: Members) -> None:
        self.pool, self.fallback = pool, fallback
        self.pool_entries, self.fallback_entries = _entries(pool), _entries(fallback)
        self.keep = frozenset(pool.position) | frozenset(fallback.position)


#: rep id -> (local date, first minute, end minute, availability): the answer through that window.
Windows = dict[str, tuple[date, int, int, tuple[bool, str]]]


class _Availability:
    """Availability of reps at one ``now``. The local moment is computed once per time zone; an
    answer is reused (also across decisions, through ``windows``) while the rep's local time stays
    in the window of the same day through which it holds (:func:`availability_window`)."""

    __slots__ = ("_moments", "_now", "_windows")

    def __init__(self, now: datetime, windows: Windows) -> None:
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
        window = self._windows.get(rep.id)
        if window is not None and window[0] == day and window[1] <= minute < window[2]:
            return window[3]
        result, low, high = availability_window(rep, moment)
        self._windows[rep.id] = (day, low, high, result)
        return result


class Engine:
    """``Engine(ruleset, roster).decide(lead, rotation, now=..., account=...)``."""

    def __init__(self, ruleset: RuleSet, roster: Roster) -> None:
        self.ruleset = ruleset
        self.roster = roster
        self.rules: tuple[CompiledRule, ...] = compiled_rules(ruleset)
        self.excluded_sources = fold_sources(ruleset.policy.excluded_sources)
        self._teams: dict[str, set[str]] | None = None
        self._pools: dict[int, RulePools] = {}
        self._traces: dict[tuple[str, bool, str], CandidateTrace] = {}
        self._windows: Windows = {}
        self._lock = threading.Lock()

    def pools(self, index: int) -> RulePools:
        """The pools of the ``index``-th rule (resolved on first use)."""
        found = self._pools.get(index)
        if found is None:
            with self._lock:
                if self._teams is None:
                    self._teams = team_members(self.roster)
                rule = self.rules[index].rule
                found = RulePools(
                    pool_members(rule.pool, self.roster, self._teams),
                    pool_members(rule.fallback, self.roster, self._teams),
                )
                self._pools[index] = found
        return found

    def _candidate(self, rep: RepState, eligible: bool, reason: str) -> CandidateTrace:
        key = (rep.id, eligible, reason)
        trace = self._traces.get(key)
        if trace is None:
            trace = CandidateTrace(rep.id, eligible, reason, rep.score, rep.open_leads, rep.capacity)
            self._traces[key] = trace
        return trace

    def decide(
        self,
        lead: LeadFacts,
        rotation: RotationState,
        *,
        now: datetime,
        account: AccountMatch | None = None,
    ) -> Decision:
        available = _Availability(now, self._windows)
        filters, proceeds = run_filters(
            lead, self.ruleset.policy, self.roster, excluded_sources=self.excluded_sources
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
            owner = self.roster.reps.get(account.owner_rep_id) if account.owner_rep_id else None
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
        pools = self.pools(matched_index)
        for via, members, entries in (
            (POOL, pools.pool, pools.pool_entries),
            (FALLBACK, pools.fallback, pools.fallback_entries),
        ):
            eligible_reps = self._eligible(entries, serving, available, candidates)
            pick = choose(serving, rule.id, eligible_reps, members.position, rotation, pools.keep)
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
            Outcome.NO_ELIGIBLE_REP,
            strategy=serving.value,
            candidates=tuple(candidates.values()),
            **common,
        )

    def _eligible(
        self,
        entries: tuple[Entry, ...],
        strategy: Strategy,
        available: Callable[[RepState], tuple[bool, str]],
        candidates: dict[str, CandidateTrace],
    ) -> list[tuple[int, RepState]]:
        """The eligible reps among ``entries`` as (pool index, rep); every member joins ``candidates``
        (once). Under weighted round robin a rep of weight 0 cannot be chosen: "weight 0"."""
        weighted = strategy is Strategy.WEIGHTED_ROUND_ROBIN
        traces = self._traces
        eligible: list[tuple[int, RepState]] = []
        for index, rep, fixed in entries:
            ok, reason = fixed if fixed is not None else available(rep)
            if ok and weighted and rep.weight <= 0:
                ok, reason = False, WEIGHT_ZERO
            if rep.id not in candidates:
                trace = traces.get((rep.id, ok, reason))
                candidates[rep.id] = trace if trace is not None else self._candidate(rep, ok, reason)
            if ok:
                eligible.append((index, rep))
        return eligible


# -- caches keyed on object identity (the inputs are frozen dataclasses holding plain mappings) -------

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


_COMPILED: IdentityCache[tuple[CompiledRule, ...]] = IdentityCache(16)
_ENGINES: IdentityCache[Engine] = IdentityCache(16)


def compiled_rules(ruleset: RuleSet) -> tuple[CompiledRule, ...]:
    """The rule set's rules with their conditions compiled (kept per rule set object)."""
    return _COMPILED.get((ruleset,), lambda: tuple(compile_rule(rule) for rule in ruleset.rules))


def engine_for(ruleset: RuleSet, roster: Roster) -> Engine:
    """The :class:`Engine` for these objects (kept per ``(ruleset, roster)`` pair of objects)."""
    return _ENGINES.get((ruleset, roster), lambda: Engine(ruleset, roster))


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
    return engine_for(ruleset, roster).decide(lead, rotation, now=now, account=account)
