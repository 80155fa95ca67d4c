"""Route-if filters: which holds a lead, with what explanation, under each owner policy."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from routing.engine import (
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
    decide,
)
from routing.engine.filters import run_filters

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ROSTER = Roster(
    reps={
        "7": RepState("7", "Ann Lee"),
        "8": RepState("8", "Bo Chen", active=False),
        "9": RepState("9", "Cy Diaz", out_of_office=((date(2026, 3, 1), date(2026, 3, 9)),), capacity=0),
    }
)
RULES = (Rule("all", "Everyone", pool=Pool(reps=("7",))),)


def lead(
    status: str | None = "open", source: str | None = "WEBSITE", rep: str = "", owner: str = ""
) -> LeadFacts:
    return LeadFacts(
        "lead-1", {"status": status, "source": source}, owner_rep_id=rep, owner_external_id=owner
    )


def route(facts: LeadFacts, **policy):
    return decide(facts, RuleSet(RULES, RouteIfPolicy(**policy)), ROSTER, RotationState(), now=NOW)


@pytest.mark.parametrize("status", ["won", "lost", "excluded", " WON "])
def test_closed_leads_are_held_by_status(status):
    decision = route(lead(status=status))
    assert (decision.outcome, decision.held_by) == (Outcome.HELD, "status")
    assert decision.filters[0].detail == f"status is {status.strip().lower()}"
    assert decision.rules == () and decision.candidates == () and decision.rep_id == ""


@pytest.mark.parametrize(("status", "detail"), [("open", "status is open"), (None, "status is empty")])
def test_open_and_unknown_statuses_pass(status, detail):
    decision = route(lead(status=status))
    assert decision.outcome == Outcome.ASSIGNED
    assert decision.filters[0].passed and decision.filters[0].detail == detail


def test_excluded_sources_are_held_case_insensitively():
    decision = route(lead(source="partner"), excluded_sources=frozenset({"PARTNER"}))
    assert (decision.outcome, decision.held_by) == (Outcome.HELD, "excluded source")
    assert decision.filters[1].detail == "source 'partner' is excluded"
    passed = route(lead(source="WEBSITE"), excluded_sources=frozenset({"PARTNER"}))
    assert passed.outcome == Outcome.ASSIGNED
    assert passed.filters[1].detail == "source 'WEBSITE' is not excluded"


def test_every_filter_is_traced_and_the_first_that_fails_holds():
    decision = route(
        lead(status="won", source="PARTNER", rep="7", owner="123"), excluded_sources=frozenset({"PARTNER"})
    )
    assert [(f.name, f.passed) for f in decision.filters] == [
        ("status", False),
        ("excluded source", False),
        ("owner", False),
    ]
    assert decision.held_by == "status"


def test_unowned_only():
    policy = {"owner_policy": OwnerPolicy.UNOWNED_ONLY, "placeholder_owner_ids": frozenset({"queue"})}
    assert route(lead(), **policy).outcome == Outcome.ASSIGNED
    assert route(lead(owner="queue"), **policy).outcome == Outcome.ASSIGNED
    assert (
        route(lead(owner="queue"), **policy).filters[2].detail
        == "owner queue is a placeholder (no rep owns the lead)"
    )
    for owned in (lead(rep="7", owner="123"), lead(owner="555"), lead(rep="8", owner="124")):
        decision = route(owned, **policy)
        assert (decision.outcome, decision.held_by) == (Outcome.HELD, "owner")
    assert route(lead(rep="7", owner="123"), **policy).filters[2].detail == (
        "owner 123 (Ann Lee) owns the lead; only unowned leads are routed"
    )


@pytest.mark.parametrize(
    ("facts", "routed", "detail"),
    [
        (lead(rep="7", owner="123"), False, "owner 123 is an active rep (Ann Lee)"),
        (
            lead(rep="9", owner="125"),
            False,
            "owner 125 is an active rep (Cy Diaz)",
        ),  # away and full: still active
        (lead(rep="8", owner="124"), True, "owner 124 is an inactive rep (Bo Chen)"),
        (lead(owner="555"), True, "owner 555 is not one of our reps"),
        (lead(rep="42", owner="556"), True, "owner 556 is not in the roster"),
        (lead(owner="queue"), True, "owner queue is a placeholder (no rep owns the lead)"),
        (lead(), True, "no owner"),
    ],
)
def test_unowned_or_unavailable(facts, routed, detail):
    policy = {
        "owner_policy": OwnerPolicy.UNOWNED_OR_UNAVAILABLE,
        "placeholder_owner_ids": frozenset({"queue"}),
    }
    decision = route(facts, **policy)
    assert (decision.outcome == Outcome.ASSIGNED) is routed
    assert decision.held_by == ("" if routed else "owner")
    assert decision.filters[2].detail == detail


def test_always_routes_whatever_the_owner():
    decision = route(lead(rep="7", owner="123"), owner_policy=OwnerPolicy.ALWAYS)
    assert decision.outcome == Outcome.ASSIGNED
    assert (
        decision.filters[2].detail
        == "owner 123 (Ann Lee) owns the lead; the policy routes whatever the owner"
    )


def test_run_filters_says_whether_routing_proceeds():
    traces, proceeds = run_filters(lead(), RouteIfPolicy(), ROSTER)
    assert proceeds and [t.name for t in traces] == ["status", "excluded source", "owner"]
    assert run_filters(lead(status="lost"), RouteIfPolicy(), ROSTER)[1] is False
