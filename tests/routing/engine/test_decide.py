"""Decisions: rule order and traces, pools and fallbacks, the account owner, each strategy's choice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from routing.engine import (
    AccountMatch,
    Condition,
    LeadFacts,
    Op,
    Outcome,
    Pool,
    RepState,
    Roster,
    RotationState,
    Rule,
    RuleSet,
    Strategy,
    decide,
)
from routing.engine.pools import pool_members

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
AWAY = ((date(2026, 3, 1), date(2026, 3, 6)),)
GERMAN = LeadFacts("lead-1", {"country": "Germany", "amount": None, "status": "open"})
ACCOUNT = AccountMatch("acc-1", "Acme", "owner", "associated company 5001")


def roster(*reps: RepState, teams: dict[str, tuple[str, ...]] | None = None) -> Roster:
    return Roster(reps={rep.id: rep for rep in reps}, teams=teams or {})


def one_rule(pool: Pool, strategy: Strategy = Strategy.ROUND_ROBIN, **rule) -> RuleSet:
    return RuleSet((Rule("rule", "Rule", pool=pool, strategy=strategy, **rule),))


def pick(ruleset: RuleSet, reps: Roster, rotation: RotationState | None = None, **kwargs):
    return decide(GERMAN, ruleset, reps, rotation or RotationState(), now=NOW, **kwargs)


# -- rules --------------------------------------------------------------------------------------------


def test_the_first_matching_rule_wins_and_later_rules_are_not_traced():
    rules = RuleSet(
        (
            Rule(
                "fr", "France", conditions=(Condition("country", Op.IN, ["France"]),), pool=Pool(reps=("a",))
            ),
            Rule(
                "de",
                "Germany",
                conditions=(Condition("country", Op.EQUALS, "germany"),),
                pool=Pool(reps=("b",)),
            ),
            Rule("all", "Everyone", pool=Pool(reps=("a",))),
        )
    )
    decision = pick(rules, roster(RepState("a"), RepState("b")))
    assert (decision.outcome, decision.rule_id, decision.rep_id, decision.via) == (
        Outcome.ASSIGNED,
        "de",
        "b",
        "pool",
    )
    assert [(t.rule_id, t.name, t.matched, t.reasons) for t in decision.rules] == [
        ("fr", "France", False, ("country 'Germany' not in [France]",)),
        ("de", "Germany", True, ("country 'Germany' = 'germany'",)),
    ]


def test_no_matching_rule():
    rules = RuleSet(
        (
            Rule("fr", "France", conditions=(Condition("country", Op.IN, ["France"]),)),
            Rule("big", "Big", conditions=(Condition("amount", Op.GTE, 1000),)),
        )
    )
    decision = pick(rules, roster(RepState("a")), account=ACCOUNT)
    assert decision.outcome == Outcome.NO_RULE
    assert (decision.rep_id, decision.rule_id, decision.candidates, decision.rotation) == ("", "", (), None)
    assert [(t.rule_id, t.matched) for t in decision.rules] == [("fr", False), ("big", False)]
    assert decision.rules[1].reasons == ("amount (empty) is not a number",)
    assert decision.account == ACCOUNT


# -- pools and fallbacks ------------------------------------------------------------------------------


def test_pool_members_come_from_reps_and_teams_once_in_rep_id_order():
    reps = roster(
        *(RepState(rep_id) for rep_id in ("9", "10", "2", "x")),
        teams={"t": ("10", "2", "ghost"), "u": ("9",)},
    )
    assert pool_members(Pool(reps=("x", "2", "nobody"), teams=("t", "no-team")), reps) == ("10", "2", "x")


def test_the_fallback_takes_it_when_nobody_in_the_pool_can():
    reps = roster(
        RepState("a", active=False),
        RepState("b", capacity=2, open_leads=2),
        RepState("c", out_of_office=AWAY),
        RepState("d"),
        teams={"backup": ("b", "d")},
    )
    ruleset = one_rule(Pool(reps=("a", "b", "c")), fallback=Pool(teams=("backup",)))
    decision = pick(ruleset, reps)
    assert (decision.outcome, decision.rep_id, decision.via) == (Outcome.ASSIGNED, "d", "fallback")
    assert [(c.rep_id, c.eligible, c.reason) for c in decision.candidates] == [
        ("a", False, "inactive"),
        ("b", False, "full (2/2)"),
        ("c", False, "out of office until 2026-03-06"),
        ("d", True, "eligible"),
    ]
    assert decision.rotation == RotationState(last={"rule": "d"})


def test_nobody_eligible_in_pool_or_fallback():
    reps = roster(RepState("a", active=False, score=0.7), RepState("b", capacity=3, open_leads=3))
    decision = pick(one_rule(Pool(reps=("a", "b")), fallback=Pool(reps=("b",))), reps, account=ACCOUNT)
    assert (decision.outcome, decision.rep_id, decision.via, decision.rule_id) == (
        Outcome.NO_ELIGIBLE_REP,
        "",
        "",
        "rule",
    )
    assert [(c.rep_id, c.reason, c.score, c.open_leads, c.capacity) for c in decision.candidates] == [
        ("a", "inactive", 0.7, 0, None),
        ("b", "full (3/3)", 0.0, 3, 3),
    ]
    assert decision.rotation is None
    assert decision.account == ACCOUNT


def test_an_empty_pool_uses_the_fallback():
    decision = pick(one_rule(Pool(), fallback=Pool(reps=("a",))), roster(RepState("a")))
    assert (decision.rep_id, decision.via) == ("a", "fallback")


# -- the account owner ----------------------------------------------------------------------------------


def account_rules(pool_strategy: Strategy = Strategy.ROUND_ROBIN) -> RuleSet:
    return one_rule(Pool(reps=("a", "b")), Strategy.ACCOUNT_OWNER, pool_strategy=pool_strategy)


def test_the_account_owner_takes_it_when_eligible_even_outside_the_pool():
    reps = roster(RepState("a"), RepState("b"), RepState("owner"))
    decision = pick(account_rules(), reps, account=ACCOUNT)
    assert (decision.outcome, decision.rep_id, decision.via, decision.strategy) == (
        Outcome.ASSIGNED,
        "owner",
        "account owner",
        "account_owner",
    )
    assert [c.rep_id for c in decision.candidates] == ["owner"]
    assert decision.rotation is None
    assert decision.account == ACCOUNT


@pytest.mark.parametrize(
    ("owner", "reason"),
    [
        (RepState("owner", out_of_office=AWAY), "out of office until 2026-03-06"),
        (RepState("owner", capacity=4, open_leads=4), "full (4/4)"),
        (RepState("owner", active=False), "inactive"),
    ],
)
def test_an_account_owner_who_cannot_take_it_leaves_it_to_the_pool_strategy(owner, reason):
    reps = roster(RepState("a", score=0.2), RepState("b", score=0.9), owner)
    decision = pick(account_rules(Strategy.BEST_SCORE), reps, account=ACCOUNT)
    assert (decision.rep_id, decision.via, decision.strategy) == ("b", "pool", "best_score")
    assert [(c.rep_id, c.reason) for c in decision.candidates] == [
        ("owner", reason),
        ("a", "eligible"),
        ("b", "eligible"),
    ]


@pytest.mark.parametrize("account", [None, AccountMatch("acc-1", "Acme", "", "domain"), ACCOUNT])
def test_without_an_owner_who_is_one_of_our_reps_the_pool_takes_it(account):
    """No account, an account without an owner, or an owner not in the roster ("owner" is not here)."""
    decision = pick(account_rules(), roster(RepState("a"), RepState("b")), account=account)
    assert (decision.rep_id, decision.via, decision.strategy) == ("a", "pool", "round_robin")
    assert [c.rep_id for c in decision.candidates] == ["a", "b"]
    assert decision.rotation == RotationState(last={"rule": "a"})
    assert decision.account == account


# -- strategies -------------------------------------------------------------------------------------------


def test_round_robin_continues_after_the_last_rep_and_wraps():
    reps = roster(*(RepState(rep_id) for rep_id in ("a", "b", "c")), RepState("d", active=False))
    ruleset = one_rule(Pool(reps=("a", "b", "c", "d")))
    others = {"other-rule": "z"}
    assert pick(ruleset, reps, RotationState(last={"rule": "a", **others})).rep_id == "b"
    assert pick(ruleset, reps, RotationState(last={"rule": "c"})).rep_id == "a"  # wraps (d is inactive)
    assert pick(ruleset, reps, RotationState(last={"rule": "d"})).rep_id == "a"  # after an ineligible rep
    assert pick(ruleset, reps, RotationState(last={"rule": "gone"})).rep_id == "a"  # no longer in the pool
    decision = pick(ruleset, reps, RotationState(last={"rule": "b", **others}, credits={"x": {"a": 1}}))
    assert decision.rotation == RotationState(last={"rule": "c", **others}, credits={"x": {"a": 1}})


def test_weighted_round_robin_is_smooth_and_breaks_ties_by_pool_order():
    reps = roster(RepState("a", weight=5), RepState("b", weight=1), RepState("c", weight=1))
    ruleset = one_rule(Pool(reps=("c", "b", "a")), Strategy.WEIGHTED_ROUND_ROBIN)
    rotation, order = RotationState(), []
    for _ in range(7):
        decision = pick(ruleset, reps, rotation)
        order.append(decision.rep_id)
        rotation = decision.rotation
    assert order == ["a", "a", "b", "a", "c", "a", "a"]  # nginx's sequence for 5, 1, 1
    assert rotation.credits == {"rule": {"a": 0, "b": 0, "c": 0}}

    equal = roster(RepState("b"), RepState("a"), RepState("c"))
    rotation, order = RotationState(), []
    for _ in range(3):
        decision = pick(one_rule(Pool(reps=("c", "a", "b")), Strategy.WEIGHTED_ROUND_ROBIN), equal, rotation)
        order.append(decision.rep_id)
        rotation = decision.rotation
    assert order == ["a", "b", "c"]


def test_weighted_round_robin_skips_weight_zero_and_keeps_other_rules_credits():
    reps = roster(RepState("a", weight=0), RepState("b", weight=2))
    start = RotationState(credits={"other": {"a": 3}, "rule": {"gone": 4, "b": 1}})
    decision = pick(one_rule(Pool(reps=("a", "b")), Strategy.WEIGHTED_ROUND_ROBIN), reps, start)
    assert decision.rep_id == "b"
    assert [(c.rep_id, c.eligible, c.reason) for c in decision.candidates] == [
        ("a", False, "weight 0"),
        ("b", True, "eligible"),
    ]
    assert decision.rotation == RotationState(
        last={"rule": "b"}, credits={"other": {"a": 3}, "rule": {"b": 1}}
    )
    assert start == RotationState(credits={"other": {"a": 3}, "rule": {"gone": 4, "b": 1}})
    nobody = pick(one_rule(Pool(reps=("a",)), Strategy.WEIGHTED_ROUND_ROBIN), reps)
    assert nobody.outcome == Outcome.NO_ELIGIBLE_REP


def test_best_score_then_fewer_open_leads_then_pool_order():
    ruleset = one_rule(Pool(reps=("a", "b", "c", "d")), Strategy.BEST_SCORE)
    top = roster(RepState("a", score=0.5), RepState("b", score=0.9, active=False), RepState("c", score=0.8))
    assert pick(ruleset, top).rep_id == "c"
    tied = roster(
        RepState("a", score=0.8, open_leads=3),
        RepState("b", score=0.8, open_leads=1),
        RepState("c", score=0.8, open_leads=1),
    )
    decision = pick(ruleset, tied)
    assert (decision.rep_id, decision.strategy, decision.rotation) == ("b", "best_score", None)


def test_least_loaded_by_ratio_then_open_leads_then_pool_order():
    ruleset = one_rule(Pool(reps=("a", "b", "c", "d")), Strategy.LEAST_LOADED)
    by_ratio = roster(
        RepState("a", capacity=10, open_leads=5),
        RepState("b", capacity=4, open_leads=1),
        RepState("c", capacity=2, open_leads=1),
    )
    assert pick(ruleset, by_ratio).rep_id == "b"  # 1/4 < 1/2
    unlimited = roster(RepState("a", capacity=10, open_leads=1), RepState("b", capacity=None, open_leads=30))
    assert pick(ruleset, unlimited).rep_id == "b"  # no capacity: open leads relative to "unlimited"
    ties = roster(
        RepState("a", capacity=10, open_leads=2),
        RepState("b", capacity=5, open_leads=1),
        RepState("c", capacity=5, open_leads=1),
    )
    decision = pick(ruleset, ties)
    assert (decision.rep_id, decision.strategy, decision.rotation) == ("b", "least_loaded", None)
    assert pick(ruleset, roster(RepState("a"), RepState("b"))).rep_id == "a"


# -- the whole call -----------------------------------------------------------------------------------------


def test_one_rule_set_object_sees_each_new_roster_and_team_mapping():
    """``decide`` keeps what it compiled per rule set object (``routing/engine/cache.py``); the
    service layer passes a new roster after each assignment, and the decision must follow it."""
    ruleset = one_rule(Pool(teams=("t",)), Strategy.LEAST_LOADED)
    a, b = RepState("a", capacity=1), RepState("b", capacity=4, open_leads=1)
    first = pick(ruleset, roster(a, b, teams={"t": ("a", "b")}))
    assert first.rep_id == "a"
    loaded = roster(replace(a, open_leads=1), b, teams={"t": ("a", "b")})
    second = pick(ruleset, loaded)
    assert second.rep_id == "b"
    assert [(c.rep_id, c.reason) for c in second.candidates] == [("a", "full (1/1)"), ("b", "eligible")]
    moved = pick(ruleset, roster(a, b, RepState("c"), teams={"t": ("c",)}))
    assert (moved.rep_id, [c.rep_id for c in moved.candidates]) == ("c", ["c"])


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(GERMAN, one_rule(Pool()), roster(), RotationState(), now=datetime(2026, 3, 2, 12, 0))
