"""The routing decision: filters, then the first matching rule, then a rep from its pool or fallback.

:func:`decide` is the engine's one entry point. It compiles a rule set once
(:class:`CompiledRuleSet`, kept for the last few rule set objects in :data:`_COMPILED`, the engine's
only module state) and decides with it. What a compiled rule set keeps between decisions (pool
orders, availability windows, candidate traces) is in ``cache.py``, keyed on the objects it was
built from, so it stays valid when the caller passes a new ``Roster`` after each assignment (as
``routing/assign.py`` does when a rep's load moves); conditions' results per field value are kept
by the compiled rules (``conditions.py``).

Treat the inputs as immutable: a mapping changed in place after a decision may not be seen.
The engine never reads the clock (``now`` is an argument) and has no randomness: the same inputs
give an equal :class:`Decision`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from .cache import Availability, AvailabilityWindows, CandidateTraces, IdentityCache, PoolOrders
from .conditions import CompiledRule, compile_rule, first_match
from .filters import fold_sources, held_by, run_filters
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


class CompiledRuleSet:
    """One rule set prepared for many decisions, with what it keeps between them (``cache.py``).
    :func:`decide` keeps one per rule set object; building one afresh decides the same way."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules: tuple[CompiledRule, ...] = tuple(compile_rule(rule) for rule in ruleset.rules)
        self.excluded_sources = fold_sources(ruleset.policy.excluded_sources)
        self.pools = PoolOrders()
        self.windows = AvailabilityWindows()
        self.traces = CandidateTraces()

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
        available = self.windows.at(now)
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
                candidates[owner.id] = self.traces.get(owner, eligible, reason)
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
        pools = self.pools.get(matched_index, rule, roster.teams)
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
        available: Callable[[RepState], Availability],
        candidates: dict[str, CandidateTrace],
        position: dict[str, int],
    ) -> list[tuple[int, RepState]]:
        """The eligible reps of a pool as (pool index, rep), walking ``order`` and skipping ids the
        roster does not have. Fills ``position`` (rep id -> pool index, every member) and
        ``candidates`` (every member, once). Under weighted round robin a rep of weight 0 cannot be
        chosen: "weight 0"."""
        weighted = strategy is Strategy.WEIGHTED_ROUND_ROBIN
        reps, trace = roster.reps, self.traces.get
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
                candidates[rep.id] = trace(rep, ok, reason)
            if ok:
                eligible.append((index, rep))
            index += 1
        return eligible


#: The compiled rule sets of the last few rule set objects decided with: ``routing/assign.py`` decides
#: a batch of leads with one rule set object, ``routing/simulation.py`` a simulation's leads.
_COMPILED: Final[IdentityCache[CompiledRuleSet]] = IdentityCache(8)


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
    compiled = _COMPILED.get((ruleset,), lambda: CompiledRuleSet(ruleset))
    return compiled.decide(lead, roster, rotation, now=now, account=account)
