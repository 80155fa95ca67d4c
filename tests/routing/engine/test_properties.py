"""Properties of the routing engine over generated rosters, rule sets, leads and moments."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.engine import (
    AccountMatch,
    Decision,
    LeadFacts,
    Outcome,
    OwnerPolicy,
    Pool,
    RepState,
    Roster,
    RotationState,
    RouteIfPolicy,
    Rule,
    RuleSet,
    Strategy,
    decide,
    rule_matches,
)
from routing.engine.decide import CompiledRuleSet

from .generators import (
    START,
    accounts,
    best_eligible,
    can_take,
    holding_filters,
    leads,
    members,
    moments,
    ranked_rosters,
    rosters,
    rotations,
    rulesets,
    verdict,
)

RANKED = (Strategy.LEAST_LOADED, Strategy.BEST_SCORE)


def serving(rule: Rule) -> Strategy:
    if rule.strategy != Strategy.ACCOUNT_OWNER:
        return rule.strategy
    return rule.pool_strategy if rule.pool_strategy != Strategy.ACCOUNT_OWNER else Strategy.ROUND_ROBIN


def could_pick(rep: RepState, rule: Rule, now) -> bool:
    """Eligible in the pools: available, and under weighted round robin with a weight."""
    return can_take(rep, now) and (serving(rule) != Strategy.WEIGHTED_ROUND_ROBIN or rep.weight > 0)


def assert_best_pick(decision: Decision, rule: Rule, roster: Roster, now: datetime) -> None:
    """Least loaded and best score (no account owner took the lead): the best eligible rep of the
    pool (``generators.best_eligible``), else of the fallback; nobody when neither has one."""
    for via, pool in (("pool", rule.pool), ("fallback", rule.fallback)):
        eligible = [
            roster.reps[rep_id] for rep_id in members(pool, roster) if can_take(roster.reps[rep_id], now)
        ]
        if eligible:
            best = best_eligible(serving(rule), eligible)
            assert (decision.outcome, decision.via, decision.rep_id) == (Outcome.ASSIGNED, via, best)
            return
    assert decision.outcome == Outcome.NO_ELIGIBLE_REP


def one_more_lead(roster: Roster, rep_id: str) -> Roster:
    """The roster after an assignment, as the service layer builds it: a new roster, one rep replaced."""
    rep = roster.reps[rep_id]
    return Roster(
        reps={**roster.reps, rep_id: replace(rep, open_leads=rep.open_leads + 1)}, teams=roster.teams
    )


@st.composite
def routing_runs(draw: st.DrawFn, max_leads: int = 6):
    """A roster, rule set, rotation and leads arriving over time: minutes apart, or days apart."""
    roster = draw(rosters())
    ruleset = draw(rulesets(roster))
    rotation = draw(rotations(ruleset, roster))
    now = draw(moments())
    steps = []
    for n in range(draw(st.integers(1, max_leads))):
        steps.append((draw(leads(roster, f"lead-{n}")), now, draw(accounts(roster))))
        now += timedelta(seconds=draw(st.integers(0, 900) | st.integers(0, 4 * 24 * 3600)))
    return roster, ruleset, rotation, steps


@settings(max_examples=200, deadline=None)
@given(routing_runs())
def test_never_an_unavailable_rep_while_an_eligible_one_exists(run):
    """Checked against oracles written from the brief (``generators.verdict``, ``holding_filters``,
    ``best_eligible``), over several leads with the rotation threaded and the roster replaced after
    each assignment: a lead a route-if filter holds is HELD by the first such filter, with nothing
    else looked at; least loaded and best score pick the best eligible rep by their tie-breaks."""
    roster, ruleset, rotation, steps = run
    for lead, now, account in steps:
        decision = decide(lead, ruleset, roster, rotation, now=now, account=account)
        holding = holding_filters(lead, ruleset.policy, roster)
        assert [trace.name for trace in decision.filters] == ["status", "excluded source", "owner"]
        assert [trace.name for trace in decision.filters if not trace.passed] == holding
        if holding:
            assert (decision.outcome, decision.held_by, decision.rep_id) == (Outcome.HELD, holding[0], "")
            assert (decision.rules, decision.candidates, decision.rotation) == ((), (), None)
            continue
        assert decision.outcome != Outcome.HELD and decision.held_by == ""
        matching = [rule for rule in ruleset.rules if rule_matches(rule, lead.fields)[0]]
        if not matching:
            assert decision.outcome == Outcome.NO_RULE
            assert len(decision.rules) == len(ruleset.rules)
            continue
        rule = matching[0]
        assert decision.rule_id == rule.id
        pool, fallback = members(rule.pool, roster), members(rule.fallback, roster)
        pool_ok = {r for r in pool if could_pick(roster.reps[r], rule, now)}
        fallback_ok = {r for r in fallback if could_pick(roster.reps[r], rule, now)}
        owner = account.owner_rep_id if account is not None else ""
        owner_ok = (
            rule.strategy == Strategy.ACCOUNT_OWNER
            and owner in roster.reps
            and can_take(roster.reps[owner], now)
        )
        if owner_ok:
            assert (decision.outcome, decision.rep_id, decision.via) == (
                Outcome.ASSIGNED,
                owner,
                "account owner",
            )
        elif pool_ok:
            assert decision.outcome == Outcome.ASSIGNED and decision.via == "pool"
            assert decision.rep_id in pool_ok
        elif fallback_ok:
            assert decision.outcome == Outcome.ASSIGNED and decision.via == "fallback"
            assert decision.rep_id in fallback_ok
        else:
            assert decision.outcome == Outcome.NO_ELIGIBLE_REP and decision.rep_id == ""
        if decision.outcome == Outcome.ASSIGNED:
            assert can_take(roster.reps[decision.rep_id], now)
        if serving(rule) in RANKED and decision.via != "account owner":
            assert_best_pick(decision, rule, roster, now)
        # Every rep considered is traced once, with the oracle's verdict on availability.
        traced = [c.rep_id for c in decision.candidates]
        assert len(traced) == len(set(traced))
        if decision.via != "account owner" and decision.outcome != Outcome.NO_RULE:
            assert pool <= set(traced)
        if decision.via == "fallback" or decision.outcome == Outcome.NO_ELIGIBLE_REP:
            assert fallback <= set(traced)
        for candidate in decision.candidates:
            rep = roster.reps[candidate.rep_id]
            assert candidate.eligible == (can_take(rep, now) and (candidate.reason != "weight 0"))
            assert candidate.eligible == (candidate.reason == "eligible")
            assert candidate.reason == "weight 0" or candidate.reason.startswith(verdict(rep, now))
            as_owner = rule.strategy == Strategy.ACCOUNT_OWNER and candidate.rep_id == owner  # not by weight
            weighted = serving(rule) == Strategy.WEIGHTED_ROUND_ROBIN and not as_owner
            assert (candidate.reason == "weight 0") == (weighted and rep.weight <= 0 and can_take(rep, now))
        if decision.rotation is not None:
            rotation = decision.rotation
        if decision.outcome == Outcome.ASSIGNED:
            roster = one_more_lead(roster, decision.rep_id)  # loads move, as in the service layer


@settings(max_examples=150, deadline=None)
@given(routing_runs(max_leads=8))
def test_same_inputs_give_equal_decisions(run):
    """Twice through the cached path, with freshly rebuilt equal inputs, and with no cache at all,
    while the roster is replaced after each assignment (loads move) and the rule set is kept."""
    roster, ruleset, rotation, steps = run
    twin_ruleset = copy.deepcopy(ruleset)
    for lead, now, account in steps:
        first = decide(lead, ruleset, roster, rotation, now=now, account=account)
        again = decide(lead, ruleset, roster, rotation, now=now, account=account)
        rebuilt = decide(
            copy.deepcopy(lead),
            twin_ruleset,
            copy.deepcopy(roster),
            copy.deepcopy(rotation),
            now=now,
            account=copy.deepcopy(account),
        )
        uncached = CompiledRuleSet(ruleset).decide(lead, roster, rotation, now=now, account=account)
        assert first == again == rebuilt == uncached
        if first.rotation is not None:
            rotation = first.rotation
        if first.outcome == Outcome.ASSIGNED:
            roster = one_more_lead(roster, first.rep_id)


@settings(max_examples=100, deadline=None)
@given(routing_runs(max_leads=3))
def test_the_given_rotation_is_never_changed(run):
    roster, ruleset, rotation, steps = run
    before = copy.deepcopy(rotation)
    for lead, now, account in steps:
        decision = decide(lead, ruleset, roster, rotation, now=now, account=account)
        assert rotation == before
        if decision.rotation is not None:
            assert decision.rotation is not rotation
            changed = {
                k
                for k in {*rotation.last, *decision.rotation.last}
                if rotation.last.get(k) != decision.rotation.last.get(k)
            }
            changed |= {
                k
                for k in {*rotation.credits, *decision.rotation.credits}
                if rotation.credits.get(k) != decision.rotation.credits.get(k)
            }
            assert changed <= {decision.rule_id}


# -- least loaded and best score --------------------------------------------------------------------


@st.composite
def ranked_runs(draw: st.DrawFn):
    """One rule ranked by least loaded or best score, directly or serving the pools of an account
    owner who may be unable to take the lead; leads one after another, so loads move."""
    roster = draw(ranked_rosters())
    ids = sorted(roster.reps)
    rule = Rule(
        "ranked",
        "Ranked",
        pool=Pool(
            tuple(draw(st.lists(st.sampled_from(ids), max_size=6, unique=True))),
            draw(st.sampled_from([(), ("t0",)])),
        ),
        fallback=Pool(tuple(draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)))),
        strategy=draw(st.sampled_from([*RANKED, Strategy.ACCOUNT_OWNER])),
        pool_strategy=draw(st.sampled_from(RANKED)),
    )
    account = AccountMatch("acc-1", "Acme", draw(st.sampled_from(["", *ids])), "test")
    return (
        RuleSet(rules=(rule,), policy=RouteIfPolicy(OwnerPolicy.ALWAYS)),
        roster,
        account,
        draw(st.integers(1, 6)),
    )


@settings(max_examples=150, deadline=None)
@given(ranked_runs())
def test_least_loaded_and_best_score_pick_the_best_eligible_rep(run):
    """By the documented tie-breaks (``routing/engine/strategies.py``), over rosters where ties are common."""
    ruleset, roster, account, count = run
    (rule,) = ruleset.rules
    lead = LeadFacts("lead", {"status": "open"})
    for _ in range(count):
        decision = decide(lead, ruleset, roster, RotationState(), now=START, account=account)
        if decision.via == "account owner":
            assert rule.strategy == Strategy.ACCOUNT_OWNER and decision.rep_id == account.owner_rep_id
            assert can_take(roster.reps[decision.rep_id], START)
        else:
            assert_best_pick(decision, rule, roster, START)
        if decision.outcome == Outcome.ASSIGNED:
            roster = one_more_lead(roster, decision.rep_id)


# -- fairness of the rotations ---------------------------------------------------------------------


@st.composite
def constant_pools(draw: st.DrawFn, weighted: bool):
    """A pool (named reps and a team) whose eligible reps never change: always-on reps that take
    leads, and reps that never can (inactive, full, out of office for years, or weight 0)."""
    count = draw(st.integers(1, 8))
    reps = {}
    for n in range(count):
        rep_id = f"rep-{n:02d}"
        reps[rep_id] = RepState(rep_id, weight=draw(st.integers(1, 4)) if weighted else 1)
    blocked = [
        RepState("x-inactive", active=False),
        RepState("x-full", capacity=2, open_leads=2),
        RepState(
            "x-away", out_of_office=((START.date().replace(year=2020), START.date().replace(year=2030)),)
        ),
    ]
    if weighted:
        blocked.append(RepState("x-weightless", weight=0))
    for rep in draw(st.lists(st.sampled_from(blocked), unique_by=lambda r: r.id)):
        reps[rep.id] = rep
    ids = sorted(reps)
    in_team = draw(st.lists(st.sampled_from(ids), unique=True))
    named = [rep_id for rep_id in ids if rep_id not in in_team]
    roster = Roster(reps=reps, teams={"team": tuple(in_team)})
    strategy = Strategy.WEIGHTED_ROUND_ROBIN if weighted else Strategy.ROUND_ROBIN
    rule = Rule("rr", "Everyone", pool=Pool(reps=tuple(named), teams=("team",)), strategy=strategy)
    eligible = {rep_id: rep.weight for rep_id, rep in reps.items() if not rep_id.startswith("x-")}
    return RuleSet(rules=(rule,)), roster, eligible


@settings(max_examples=200, deadline=None)
@given(constant_pools(weighted=False), st.data())
def test_round_robin_gives_each_eligible_rep_one_lead_per_cycle(setup, data):
    ruleset, roster, eligible = setup
    last = data.draw(st.none() | st.sampled_from([*sorted(roster.reps), "gone"]))
    rotation = RotationState(last={"rr": last} if last else {})
    lead = LeadFacts("lead", {"country": "Germany"})
    given_to: Counter[str] = Counter()
    for n in range(len(eligible)):  # the moment moves; the eligible reps do not
        decision = decide(lead, ruleset, roster, rotation, now=START + timedelta(minutes=n))
        given_to[decision.rep_id] += 1
        rotation = decision.rotation
    assert given_to == Counter(dict.fromkeys(eligible, 1))


@settings(max_examples=200, deadline=None)
@given(constant_pools(weighted=True), st.integers(0, 30))
def test_weighted_round_robin_gives_each_rep_its_weight_per_cycle(setup, warm_up):
    """From fresh credits, and after any number of earlier leads (any window of one cycle)."""
    ruleset, roster, eligible = setup
    lead = LeadFacts("lead", {})
    rotation = RotationState()
    for _ in range(warm_up):
        rotation = decide(lead, ruleset, roster, rotation, now=START).rotation
    given_to: Counter[str] = Counter()
    for _ in range(sum(eligible.values())):
        decision = decide(lead, ruleset, roster, rotation, now=START)
        given_to[decision.rep_id] += 1
        rotation = decision.rotation
    assert given_to == Counter(eligible)
