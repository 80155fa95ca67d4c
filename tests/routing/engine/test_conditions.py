"""Each operator's verdict and explanation; rules with ALL/ANY; results kept per field value."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from routing.engine import (
    Condition,
    LeadFacts,
    Match,
    Op,
    Outcome,
    Pool,
    RepState,
    Roster,
    RotationState,
    Rule,
    RuleSet,
    decide,
    evaluate,
    rule_matches,
)
from routing.engine.conditions import CompiledRule
from routing.engine.values import LeadView

AMOUNT = {"amount": Decimal("5000.00")}


@pytest.mark.parametrize(
    ("condition", "fields", "expected"),
    [
        # equals / not equals: stripped, case-insensitive; the sign shows the relation that holds
        (
            Condition("source", Op.EQUALS, "website"),
            {"source": " WEBSITE "},
            (True, "source 'WEBSITE' = 'website'"),
        ),
        (
            Condition("source", Op.EQUALS, "website"),
            {"source": "EVENT"},
            (False, "source 'EVENT' ≠ 'website'"),
        ),
        (Condition("source", Op.EQUALS, "website"), {}, (False, "source (empty) ≠ 'website'")),
        (
            Condition("industry", Op.NOT_EQUALS, "retail"),
            {"industry": "RETAIL"},
            (False, "industry 'RETAIL' = 'retail'"),
        ),
        (
            Condition("industry", Op.NOT_EQUALS, "retail"),
            {"industry": "MACHINERY"},
            (True, "industry 'MACHINERY' ≠ 'retail'"),
        ),
        (Condition("amount", Op.EQUALS, 5000), AMOUNT, (True, "amount 5000 = 5000")),
        (Condition("amount", Op.EQUALS, "5000.0"), AMOUNT, (True, "amount 5000 = '5000.0'")),
        # in / not in: lists (or comma-separated text)
        (
            Condition("country", Op.IN, ["DE", "AT"]),
            {"country": "FR"},
            (False, "country 'FR' not in [DE, AT]"),
        ),
        (Condition("country", Op.IN, ["DE", "AT"]), {"country": " de "}, (True, "country 'de' in [DE, AT]")),
        (Condition("country", Op.IN, "DE, AT"), {"country": "AT"}, (True, "country 'AT' in [DE, AT]")),
        (
            Condition("country", Op.IN, ["DE", "AT"]),
            {"country": None},
            (False, "country (empty) not in [DE, AT]"),
        ),
        (
            Condition("country", Op.NOT_IN, ["DE", "AT"]),
            {"country": "FR"},
            (True, "country 'FR' not in [DE, AT]"),
        ),
        (
            Condition("country", Op.NOT_IN, ["DE", "AT"]),
            {"country": "DE"},
            (False, "country 'DE' in [DE, AT]"),
        ),
        (Condition("amount", Op.IN, [100, 5000]), AMOUNT, (True, "amount 5000 in [100, 5000]")),
        # contains / not contains / starts with
        (
            Condition("company", Op.CONTAINS, "acme"),
            {"company": "ACME Corp"},
            (True, "company 'ACME Corp' contains 'acme'"),
        ),
        (
            Condition("company", Op.CONTAINS, "acme"),
            {"company": "Globex"},
            (False, "company 'Globex' does not contain 'acme'"),
        ),
        (
            Condition("company", Op.CONTAINS, ["acme", "globex"]),
            {"company": "Globex"},
            (True, "company 'Globex' contains one of [acme, globex]"),
        ),
        (
            Condition("company", Op.NOT_CONTAINS, "acme"),
            {"company": "Acme"},
            (False, "company 'Acme' contains 'acme'"),
        ),
        (
            Condition("company", Op.NOT_CONTAINS, "acme"),
            {"company": None},
            (True, "company (empty) does not contain 'acme'"),
        ),
        (
            Condition("email", Op.STARTS_WITH, "ada"),
            {"email": "Ada@acme.com"},
            (True, "email 'Ada@acme.com' starts with 'ada'"),
        ),
        (
            Condition("email", Op.STARTS_WITH, "ada"),
            {"email": "bob@acme.com"},
            (False, "email 'bob@acme.com' does not start with 'ada'"),
        ),
        # numbers
        (Condition("amount", Op.GTE, 1000), AMOUNT, (True, "amount 5000 ≥ 1000")),
        (Condition("amount", Op.GTE, 5000), AMOUNT, (True, "amount 5000 ≥ 5000")),
        (Condition("amount", Op.GTE, "5000.01"), AMOUNT, (False, "amount 5000 < 5000.01")),
        (Condition("amount", Op.GT, 5000), AMOUNT, (False, "amount 5000 ≤ 5000")),
        (Condition("amount", Op.GT, 4999), AMOUNT, (True, "amount 5000 > 4999")),
        (Condition("amount", Op.LT, 1000), AMOUNT, (False, "amount 5000 ≥ 1000")),
        (Condition("amount", Op.LT, 10000), AMOUNT, (True, "amount 5000 < 10000")),
        (Condition("amount", Op.LTE, 5000), AMOUNT, (True, "amount 5000 ≤ 5000")),
        (Condition("amount", Op.LTE, 4999), AMOUNT, (False, "amount 5000 > 4999")),
        (Condition("amount", Op.BETWEEN, [1000, 5000]), AMOUNT, (True, "amount 5000 between 1000 and 5000")),
        (Condition("amount", Op.BETWEEN, [5000, 9000]), AMOUNT, (True, "amount 5000 between 5000 and 9000")),
        (
            Condition("amount", Op.BETWEEN, ["1000", "4999.99"]),
            AMOUNT,
            (False, "amount 5000 not between 1000 and 4999.99"),
        ),
        (Condition("amount", Op.GTE, 1000), {"amount": "1,500"}, (False, "amount '1,500' is not a number")),
        (Condition("amount", Op.GTE, 1000), {"amount": " 1500 "}, (True, "amount 1500 ≥ 1000")),
        (Condition("amount", Op.GTE, 1000), {"amount": "lots"}, (False, "amount 'lots' is not a number")),
        (Condition("amount", Op.GTE, 1000), {"amount": "NaN"}, (False, "amount 'NaN' is not a number")),
        (Condition("amount", Op.GTE, 1000), {"amount": True}, (False, "amount 'True' is not a number")),
        (Condition("amount", Op.GTE, 1000), {}, (False, "amount (empty) is not a number")),
        (
            Condition("amount", Op.BETWEEN, [1, 9]),
            {"amount": None},
            (False, "amount (empty) is not a number"),
        ),
        (
            Condition("amount", Op.GTE, "abc"),
            AMOUNT,
            (False, "amount: the condition's value 'abc' is not a number"),
        ),
        (
            Condition("amount", Op.BETWEEN, [1]),
            AMOUNT,
            (False, "amount: between needs two numbers [low, high], not [1]"),
        ),
        # empty
        (Condition("company", Op.IS_EMPTY), {"company": None}, (True, "company is empty")),
        (Condition("company", Op.IS_EMPTY), {"company": ""}, (True, "company is empty")),
        (Condition("company", Op.IS_EMPTY), {"company": "  \t"}, (True, "company is empty")),
        (Condition("company", Op.IS_EMPTY), {}, (True, "company is empty")),
        (Condition("company", Op.IS_EMPTY), {"company": "Acme"}, (False, "company 'Acme' is not empty")),
        (Condition("company", Op.IS_NOT_EMPTY), {"company": "Acme"}, (True, "company 'Acme' is not empty")),
        (Condition("company", Op.IS_NOT_EMPTY), {"company": " "}, (False, "company is empty")),
        (Condition("amount", Op.IS_EMPTY), {"amount": Decimal(0)}, (False, "amount 0 is not empty")),
        # a condition that cannot be understood fails, it does not raise
        (Condition("country", "like", "D%"), {"country": "DE"}, (False, "country: unknown operator 'like'")),
    ],
)
def test_verdict_and_explanation(condition, fields, expected):
    assert evaluate(condition, fields) == expected


def test_long_lists_are_cut_in_explanations():
    countries = [f"C{n}" for n in range(15)]
    held, reason = evaluate(Condition("country", Op.IN, countries), {"country": "C14"})
    assert held
    assert reason == "country 'C14' in [C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, +3 more]"


def test_a_rule_without_conditions_matches_every_lead():
    assert rule_matches(Rule("r", "All"), {}) == (True, ("no conditions: matches every lead",))


def test_all_stops_at_the_first_failing_condition():
    rule = Rule(
        "r",
        "DACH big",
        conditions=(
            Condition("country", Op.IN, ["DE", "AT"]),
            Condition("amount", Op.GTE, 1000),
            Condition("source", Op.EQUALS, "WEBSITE"),
        ),
    )
    fields = {"country": "DE", "amount": Decimal(10), "source": "WEBSITE"}
    assert rule_matches(rule, fields) == (False, ("country 'DE' in [DE, AT]", "amount 10 < 1000"))
    fields["amount"] = Decimal(2000)
    assert rule_matches(rule, fields) == (
        True,
        ("country 'DE' in [DE, AT]", "amount 2000 ≥ 1000", "source 'WEBSITE' = 'WEBSITE'"),
    )


def test_any_stops_at_the_first_holding_condition():
    rule = Rule(
        "r",
        "Key account",
        conditions=(Condition("company", Op.CONTAINS, "acme"), Condition("email", Op.CONTAINS, "@acme.")),
        match=Match.ANY,
    )
    assert rule_matches(rule, {"company": "Acme Inc", "email": "x@y.z"}) == (
        True,
        ("company 'Acme Inc' contains 'acme'",),
    )
    assert rule_matches(rule, {"company": "Other", "email": "ada@acme.com"}) == (
        True,
        ("company 'Other' does not contain 'acme'", "email 'ada@acme.com' contains '@acme.'"),
    )
    assert rule_matches(rule, {"company": "Other", "email": "ada@other.com"}) == (
        False,
        ("company 'Other' does not contain 'acme'", "email 'ada@other.com' does not contain '@acme.'"),
    )


def test_kept_results_belong_to_the_exact_value():
    """A compiled rule keeps results per field value: another spelling, or another type with an
    equal value (True == 1), is evaluated on its own and explained with its own value."""
    compiled = CompiledRule(Rule("r", "DE", conditions=(Condition("country", Op.IN, ["Germany"]),)))
    assert compiled.trace(LeadView({"country": "Germany"})).reasons == ("country 'Germany' in [Germany]",)
    assert compiled.trace(LeadView({"country": " GERMANY "})).reasons == ("country 'GERMANY' in [Germany]",)
    assert compiled.trace(LeadView({"country": "Germany"})).reasons == ("country 'Germany' in [Germany]",)

    flag = CompiledRule(Rule("f", "Flag", conditions=(Condition("flag", Op.EQUALS, "1"),)))
    assert flag.trace(LeadView({"flag": 1})).matched
    assert not flag.trace(LeadView({"flag": True})).matched
    assert flag.trace(LeadView({"flag": 1})).matched


def test_unhashable_values_are_evaluated_without_being_kept():
    compiled = CompiledRule(Rule("r", "Tags", conditions=(Condition("tags", Op.CONTAINS, "vip"),)))
    assert compiled.trace(LeadView({"tags": ["vip", "new"]})).matched
    assert not compiled.trace(LeadView({"tags": ["new"]})).matched


def test_unhashable_values_through_decide():
    """The same path as the engine's rule loop (``first_match``): nothing is kept for them."""
    rules = RuleSet(
        (
            Rule("vip", "VIP", conditions=(Condition("tags", Op.CONTAINS, "vip"),), pool=Pool(reps=("a",))),
            Rule("rest", "Everyone else", pool=Pool(reps=("b",))),
        )
    )
    roster = Roster(reps={"a": RepState("a"), "b": RepState("b")})
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    for tags, rep in ((["vip", "new"], "a"), (["new"], "b"), (["vip"], "a"), ([], "b")):
        decision = decide(LeadFacts("lead", {"tags": tags}), rules, roster, RotationState(), now=now)
        assert (decision.outcome, decision.rep_id) == (Outcome.ASSIGNED, rep)
