"""Hypothesis strategies for the engine's inputs, and an oracle for availability written apart from
the engine (straight from the rules in the brief), so properties do not check the engine against itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from routing.engine import (
    AccountMatch,
    Condition,
    LeadFacts,
    Match,
    Op,
    OwnerPolicy,
    Pool,
    RepState,
    Roster,
    RotationState,
    RouteIfPolicy,
    Rule,
    RuleSet,
    Strategy,
    WorkingHours,
)

COUNTRIES = ("Germany", "Austria", "France", "Spain", "Italy")
SOURCES = ("WEBSITE", "REFERRAL", "EVENT", "PARTNER", "PAID_ADS", "OUTBOUND")
INDUSTRIES = ("COMPUTER_SOFTWARE", "RETAIL", "MACHINERY", "FINANCIAL_SERVICES")
LEAD_TYPES = ("NEW_BUSINESS", "UPSELL", "RE_ATTEMPTING")
TIME_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
START = datetime(2026, 3, 1, tzinfo=UTC)

# -- reps and rosters ----------------------------------------------------------------------------------


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    days = {}
    for day in draw(st.sets(st.integers(1, 7), max_size=7)):
        spans = []
        for _ in range(draw(st.integers(1, 2))):
            start = draw(st.integers(0, 1439))
            spans.append((start, draw(st.integers(start + 1, 1440))))
        days[day] = tuple(spans)
    return WorkingHours(time_zone=draw(st.sampled_from(TIME_ZONES)), days=days)


@st.composite
def absences(draw: st.DrawFn) -> tuple[tuple[date, date], ...]:
    ranges = []
    for _ in range(draw(st.integers(0, 2))):
        first = START.date() + timedelta(days=draw(st.integers(-3, 12)))
        ranges.append((first, first + timedelta(days=draw(st.integers(0, 4)))))
    return tuple(ranges)


@st.composite
def rep_states(draw: st.DrawFn, rep_id: str) -> RepState:
    capacity = draw(st.none() | st.integers(0, 5))
    return RepState(
        id=rep_id,
        name=f"Rep {rep_id}",
        active=draw(st.booleans()),
        capacity=capacity,
        open_leads=draw(st.integers(0, 6)),
        weight=draw(st.integers(0, 3)),
        score=draw(st.floats(0, 1)),
        out_of_office=draw(absences()),
        working_hours=draw(st.none() | working_hours()),
    )


@st.composite
def rosters(draw: st.DrawFn, min_reps: int = 1, max_reps: int = 12) -> Roster:
    count = draw(st.integers(min_reps, max_reps))
    ids = [f"r{n}" for n in range(count)]
    reps = {rep_id: draw(rep_states(rep_id)) for rep_id in ids}
    teams = {
        f"t{n}": tuple(draw(st.lists(st.sampled_from(ids), max_size=6, unique=True)))
        for n in range(draw(st.integers(0, 3)))
    }
    return Roster(reps=reps, teams=teams)


# -- rules ----------------------------------------------------------------------------------------------


def conditions() -> st.SearchStrategy[Condition]:
    return st.one_of(
        st.builds(
            Condition, st.just("country"), st.just(Op.IN), st.lists(st.sampled_from(COUNTRIES), min_size=1)
        ),
        st.builds(Condition, st.just("country"), st.just(Op.NOT_IN), st.lists(st.sampled_from(COUNTRIES))),
        st.builds(Condition, st.just("source"), st.just(Op.EQUALS), st.sampled_from(SOURCES)),
        st.builds(Condition, st.just("industry"), st.just(Op.NOT_EQUALS), st.sampled_from(INDUSTRIES)),
        st.builds(Condition, st.just("lead_type"), st.just(Op.IN), st.lists(st.sampled_from(LEAD_TYPES))),
        st.builds(Condition, st.just("amount"), st.sampled_from([Op.GTE, Op.LT]), st.integers(0, 100_000)),
        st.builds(
            Condition,
            st.just("amount"),
            st.just(Op.BETWEEN),
            st.tuples(st.integers(0, 50_000), st.integers(0, 100_000)).map(sorted),
        ),
        st.builds(Condition, st.just("company"), st.sampled_from([Op.IS_EMPTY, Op.IS_NOT_EMPTY])),
        st.builds(Condition, st.just("email"), st.just(Op.CONTAINS), st.sampled_from(["acme", "@", "x"])),
    )


def pools(rep_ids: list[str], team_ids: list[str]) -> st.SearchStrategy[Pool]:
    ids = st.sampled_from([*rep_ids, "ghost"])  # "ghost" is in no roster: skipped
    teams = st.sampled_from([*team_ids, "no-such-team"])
    return st.builds(
        Pool,
        st.lists(ids, max_size=5, unique=True).map(tuple),
        st.lists(teams, max_size=2, unique=True).map(tuple),
    )


@st.composite
def rulesets(draw: st.DrawFn, roster: Roster, max_rules: int = 4) -> RuleSet:
    rep_ids, team_ids = sorted(roster.reps), sorted(roster.teams)
    rules = tuple(
        Rule(
            id=f"rule-{n}",
            name=f"Rule {n}",
            conditions=tuple(draw(st.lists(conditions(), max_size=3))),
            match=draw(st.sampled_from(list(Match))),
            pool=draw(pools(rep_ids, team_ids)),
            strategy=draw(st.sampled_from(list(Strategy))),
            pool_strategy=draw(st.sampled_from(list(Strategy))),
            fallback=draw(pools(rep_ids, team_ids)),
        )
        for n in range(draw(st.integers(1, max_rules)))
    )
    return RuleSet(rules=rules, policy=RouteIfPolicy(owner_policy=OwnerPolicy.ALWAYS))


# -- leads, moments, accounts, rotations ------------------------------------------------------------------


def amounts() -> st.SearchStrategy[Decimal | None]:
    return st.none() | st.integers(0, 150_000 * 100).map(lambda cents: Decimal(cents) / 100)


@st.composite
def lead_values(draw: st.DrawFn) -> dict[str, object]:
    return {
        "country": draw(st.none() | st.sampled_from(COUNTRIES)),
        "source": draw(st.none() | st.sampled_from(SOURCES)),
        "industry": draw(st.none() | st.sampled_from(INDUSTRIES)),
        "lead_type": draw(st.none() | st.sampled_from(LEAD_TYPES)),
        "amount": draw(amounts()),
        "company": draw(st.none() | st.sampled_from(["Acme", "Globex", " "])),
        "email": draw(st.none() | st.sampled_from(["ada@acme.com", "bob@globex.de", "no-at-sign"])),
        "status": draw(st.sampled_from([None, "open"])),
    }


def leads() -> st.SearchStrategy[LeadFacts]:
    return st.builds(LeadFacts, st.just("lead-1"), lead_values())


def moments() -> st.SearchStrategy[datetime]:
    """A tz-aware instant over three weeks, to the second."""
    return st.integers(0, 21 * 24 * 3600).map(lambda seconds: START + timedelta(seconds=seconds))


def accounts(roster: Roster) -> st.SearchStrategy[AccountMatch | None]:
    owners = st.sampled_from([*sorted(roster.reps), "", "ghost"])
    return st.none() | st.builds(AccountMatch, st.just("acc-1"), st.just("Acme"), owners, st.just("test"))


def rotations(ruleset: RuleSet, roster: Roster) -> st.SearchStrategy[RotationState]:
    rule_ids = [rule.id for rule in ruleset.rules]
    rep_ids = st.sampled_from([*sorted(roster.reps), "ghost"])
    return st.builds(
        RotationState,
        st.dictionaries(st.sampled_from(rule_ids), rep_ids, max_size=len(rule_ids)),
        st.dictionaries(
            st.sampled_from(rule_ids), st.dictionaries(rep_ids, st.integers(-10, 10)), max_size=len(rule_ids)
        ),
    )


# -- the oracle --------------------------------------------------------------------------------------------


def verdict(rep: RepState, now: datetime) -> str:
    """Availability straight from the brief, as the start of the engine's reason: the first check
    that fails of inactive, out of office (inclusive dates, in the rep's time zone), full (open >=
    capacity), off hours (outside every span of the local weekday, end exclusive); else "eligible"."""
    zone = ZoneInfo(rep.working_hours.time_zone if rep.working_hours else "UTC")
    local = now.astimezone(zone)
    if not rep.active:
        return "inactive"
    if any(first <= local.date() <= last for first, last in rep.out_of_office):
        return "out of office until "
    if rep.capacity is not None and rep.open_leads >= rep.capacity:
        return "full ("
    if rep.working_hours is not None:
        minute = local.hour * 60 + local.minute
        spans = rep.working_hours.days.get(local.isoweekday(), ())
        if not any(start <= minute < end for start, end in spans):
            return "off hours"
    return "eligible"


def can_take(rep: RepState, now: datetime) -> bool:
    return verdict(rep, now) == "eligible"


def members(pool: Pool, roster: Roster) -> set[str]:
    ids = set(pool.reps)
    for team in pool.teams:
        ids |= set(roster.teams.get(team, ()))
    return {rep_id for rep_id in ids if rep_id in roster.reps}
