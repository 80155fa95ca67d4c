"""Hypothesis strategies for the engine's inputs, and oracles written apart from the engine (straight
from the rules in the brief and the docstrings of ``routing/engine/``), so properties do not check
the engine against itself: availability, the route-if filters that hold a lead, and the rep that
least loaded and best score pick.

Strategy factories whose arguments are hashable are cached (``functools.cache``): a strategy built
afresh inside a composite on every draw is validated afresh by Hypothesis, which took about a third
of these properties' time.

The inputs cover every owner policy, placeholder owners, excluded sources and closed statuses in
any spelling (HELD outcomes), and draw scores and loads from few values so that ties, and with them
the documented tie-breaks, come up often.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
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
#: Routed statuses, and closed ones (never routed) as a CRM or a person may spell them.
ROUTED_STATUSES = (None, "", "open", "Open", "in_progress")
CLOSED_STATUSES = ("won", "lost", "excluded", "Won", " LOST ", "Excluded ")
#: CRM owner ids that an organization may call a queue rather than a rep.
PLACEHOLDERS = ("queue-inbound", "queue-partners")
#: Few values, so that two reps often have the same score (ties go to fewer open leads, then pool order).
SCORES = (0.0, 0.25, 0.5, 1.0)
#: Every owner policy, ALWAYS first: Hypothesis favours early values, and the others hold most owned leads.
OWNER_POLICIES = sorted(OwnerPolicy, key=lambda policy: policy != OwnerPolicy.ALWAYS)

# -- reps and rosters ----------------------------------------------------------------------------------


@cache
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


@cache
@st.composite
def absences(draw: st.DrawFn) -> tuple[tuple[date, date], ...]:
    ranges = []
    for _ in range(draw(st.integers(0, 2))):
        first = START.date() + timedelta(days=draw(st.integers(-3, 12)))
        ranges.append((first, first + timedelta(days=draw(st.integers(0, 4)))))
    return tuple(ranges)


@cache
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
        score=draw(st.sampled_from(SCORES) | st.floats(0, 1)),
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


@st.composite
def ranked_rosters(draw: st.DrawFn) -> Roster:
    """Reps always at work who differ in what least loaded and best score rank, a few of whom cannot
    take leads (inactive or full); loads and scores from few values, so ties are common. Up to 12
    reps: "r10" and "r11" come before "r2" in pool order."""
    reps = {}
    for n in range(draw(st.integers(2, 12))):
        rep_id = f"r{n}"
        reps[rep_id] = RepState(
            rep_id,
            active=draw(st.integers(0, 5)) != 5,
            # Even capacities: equal loads with different open counts (1/2, 2/4, 3/6) come up often.
            capacity=draw(st.sampled_from([None, 2, 4, 6, 8])),
            open_leads=draw(st.integers(0, 6)),
            score=draw(st.sampled_from(SCORES)),
        )
    team = tuple(draw(st.lists(st.sampled_from(sorted(reps)), unique=True)))
    return Roster(reps=reps, teams={"t0": team})


# -- rules ----------------------------------------------------------------------------------------------


@cache
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


@cache
def pools(rep_ids: tuple[str, ...], team_ids: tuple[str, ...]) -> st.SearchStrategy[Pool]:
    ids = st.sampled_from([*rep_ids, "ghost"])  # "ghost" is in no roster: skipped
    teams = st.sampled_from([*team_ids, "no-such-team"])
    return st.builds(
        Pool,
        st.lists(ids, max_size=5, unique=True).map(tuple),
        st.lists(teams, max_size=2, unique=True).map(tuple),
    )


@cache
def source_spellings() -> st.SearchStrategy[str]:
    """A source value as given, in lower case, or padded and capitalised."""
    return st.sampled_from(SOURCES).flatmap(
        lambda source: st.sampled_from([source, source.lower(), f" {source.capitalize()} "])
    )


@cache
@st.composite
def route_if_policies(draw: st.DrawFn) -> RouteIfPolicy:
    return RouteIfPolicy(
        owner_policy=draw(st.sampled_from(OWNER_POLICIES)),
        placeholder_owner_ids=frozenset(draw(st.sets(st.sampled_from(PLACEHOLDERS)))),
        excluded_sources=frozenset(draw(st.sets(source_spellings(), max_size=2))),
    )


@st.composite
def rulesets(draw: st.DrawFn, roster: Roster, max_rules: int = 4) -> RuleSet:
    rep_ids, team_ids = tuple(sorted(roster.reps)), tuple(sorted(roster.teams))
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
    return RuleSet(rules=rules, policy=draw(route_if_policies()))


# -- leads, moments, accounts, rotations ------------------------------------------------------------------


@cache
def amounts() -> st.SearchStrategy[Decimal | None]:
    return st.none() | st.integers(0, 150_000 * 100).map(lambda cents: Decimal(cents) / 100)


@cache
@st.composite
def lead_values(draw: st.DrawFn) -> dict[str, object]:
    return {
        "country": draw(st.none() | st.sampled_from(COUNTRIES)),
        "source": draw(st.none() | source_spellings()),
        "industry": draw(st.none() | st.sampled_from(INDUSTRIES)),
        "lead_type": draw(st.none() | st.sampled_from(LEAD_TYPES)),
        "amount": draw(amounts()),
        "company": draw(st.none() | st.sampled_from(["Acme", "Globex", " "])),
        "email": draw(st.none() | st.sampled_from(["ada@acme.com", "bob@globex.de", "no-at-sign"])),
        # One lead in four closed: most leads go on to the rules.
        "status": draw(st.sampled_from(CLOSED_STATUSES if draw(st.integers(0, 3)) == 3 else ROUTED_STATUSES)),
    }


@st.composite
def leads(draw: st.DrawFn, roster: Roster, key: str = "lead-1") -> LeadFacts:
    """Half the leads have no rep as owner: none at all, or a queue's id (a placeholder when the
    policy names it). The others are owned by a CRM user who is none of our reps, one of the
    roster's reps, or one of our reps missing from the roster ("ghost")."""
    if draw(st.booleans()):
        owner, external = "", draw(st.sampled_from(["", *PLACEHOLDERS, f" {PLACEHOLDERS[0]} "]))
    else:
        owner = draw(st.sampled_from(["", "ghost", *sorted(roster.reps)]))
        external = draw(st.sampled_from([f"crm-{owner}", ""])) if owner else "crm-stranger"
    return LeadFacts(key, draw(lead_values()), owner_rep_id=owner, owner_external_id=external)


@cache
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


def holding_filters(lead: LeadFacts, policy: RouteIfPolicy, roster: Roster) -> list[str]:
    """The route-if filters that do not pass, in order ("status", "excluded source", "owner"); the
    first holds the lead. From the brief: a won, lost or excluded lead is closed (any case, padded);
    a source in the policy's excluded sources (compared case-insensitively, padding ignored) is not
    routed; a lead is unowned when its CRM owner id is a placeholder, or it has neither a CRM owner
    id nor a rep id. An owned lead is routed under ALWAYS, never under UNOWNED_ONLY, and under
    UNOWNED_OR_UNAVAILABLE unless its owner is an active rep of the roster."""
    failing = []
    if str(lead.fields.get("status") or "").strip().lower() in {"won", "lost", "excluded"}:
        failing.append("status")
    source = str(lead.fields.get("source") or "").strip().lower()
    if source and source in {excluded.strip().lower() for excluded in policy.excluded_sources}:
        failing.append("excluded source")
    external = lead.owner_external_id.strip()
    unowned = external in policy.placeholder_owner_ids if external else not lead.owner_rep_id
    owner = roster.reps.get(lead.owner_rep_id)
    if not unowned and (
        policy.owner_policy == OwnerPolicy.UNOWNED_ONLY
        or (policy.owner_policy == OwnerPolicy.UNOWNED_OR_UNAVAILABLE and owner is not None and owner.active)
    ):
        failing.append("owner")
    return failing


def best_eligible(strategy: Strategy, eligible: Sequence[RepState]) -> str:
    """The rep least loaded or best score must pick among ``eligible`` (reps that can take the lead),
    by the tie-breaks ``routing/engine/strategies.py`` documents. Least loaded: the lowest open leads
    over capacity (no capacity: over 1,000,000); best score: the highest score; then, for both,
    fewer open leads, then pool order (rep ids sorted as strings, ``routing/engine/pools.py``)."""

    def load(rep: RepState) -> Fraction:
        return Fraction(rep.open_leads, 1_000_000 if rep.capacity is None else rep.capacity)

    if strategy == Strategy.LEAST_LOADED:
        return min(eligible, key=lambda rep: (load(rep), rep.open_leads, str(rep.id))).id
    if strategy == Strategy.BEST_SCORE:
        return min(eligible, key=lambda rep: (-rep.score, rep.open_leads, str(rep.id))).id
    raise ValueError(f"{strategy} is not ranked")
