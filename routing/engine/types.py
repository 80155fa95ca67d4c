"""What the routing engine reads and returns: frozen, CRM-blind dataclasses (no Django, no provider).

The engine sees reps by *our* rep id (``Rep.pk`` as a string), never a CRM owner id: the service
layer resolves a lead's CRM owner to a rep id before deciding and turns the chosen rep back into
the connection's owner id when writing back. A lead from monday and the same lead from HubSpot
therefore reach the engine as the same ``LeadFacts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Op(StrEnum):
    """Condition operators over canonical lead fields (text compares case-insensitively)."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"  # value: list; also country/territory lists
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"  # value: [low, high], both inclusive; numbers
    IS_EMPTY = "is_empty"  # value ignored
    IS_NOT_EMPTY = "is_not_empty"


class Match(StrEnum):
    ALL = "all"
    ANY = "any"


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED_ROUND_ROBIN = "weighted_round_robin"
    BEST_SCORE = "best_score"
    LEAST_LOADED = "least_loaded"
    ACCOUNT_OWNER = "account_owner"  # the matched account's owner if eligible, else ``pool_strategy``


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    HELD = "held"  # a route-if filter said "do not route"
    NO_RULE = "no_rule"  # no rule matched
    NO_ELIGIBLE_REP = "no_eligible_rep"  # a rule matched but nobody in its pool or fallback could take it


class OwnerPolicy(StrEnum):
    """When a lead that already has an owner is routed (route-if filters for owner conflicts)."""

    UNOWNED_ONLY = "unowned_only"  # only leads without an owner (placeholder owners count as none)
    UNOWNED_OR_UNAVAILABLE = "unowned_or_unavailable"  # ... or whose owner is an inactive/unknown-to-us rep
    ALWAYS = "always"  # route whatever the owner


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """One canonical lead as the engine sees it.

    ``fields`` holds the canonical fields by name (``source``, ``amount`` as Decimal or None,
    ``industry``, ``status`` (an outcome value or None), ``name``, ``email``, ``company``,
    ``country``, ``lead_type``) plus ``email_domain``. ``owner_rep_id`` is the current owner as our
    rep id ("" none); ``owner_external_id`` the raw CRM owner id ("" none) for placeholder checks.
    """

    key: str
    fields: Mapping[str, Any]
    owner_rep_id: str = ""
    owner_external_id: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: Op
    value: Any = None


@dataclass(frozen=True, slots=True)
class Pool:
    """Reps named directly and teams (by team id) whose members join them."""

    reps: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not self.reps and not self.teams


@dataclass(frozen=True, slots=True)
class Rule:
    """``id`` is stable across versions (round-robin positions are kept per rule id)."""

    id: str
    name: str
    conditions: tuple[Condition, ...] = ()  # none: matches every lead
    match: Match = Match.ALL
    pool: Pool = field(default_factory=Pool)
    strategy: Strategy = Strategy.ROUND_ROBIN
    pool_strategy: Strategy = Strategy.ROUND_ROBIN  # for ACCOUNT_OWNER when the owner cannot take it
    fallback: Pool = field(default_factory=Pool)


@dataclass(frozen=True, slots=True)
class RouteIfPolicy:
    owner_policy: OwnerPolicy = OwnerPolicy.UNOWNED_ONLY
    placeholder_owner_ids: frozenset[str] = frozenset()  # CRM owner ids that mean "a queue, not a rep"
    excluded_sources: frozenset[str] = frozenset()  # canonical source values never routed
    # Leads whose status is won/lost/excluded are never routed (closed); open or None are.


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]
    policy: RouteIfPolicy = field(default_factory=RouteIfPolicy)
    version: str = ""


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Weekly hours in a time zone: ``days`` maps ISO weekday (1=Monday) to (start, end) minute
    spans since midnight, end exclusive. A weekday not in ``days`` is off."""

    time_zone: str
    days: Mapping[int, tuple[tuple[int, int], ...]]


@dataclass(frozen=True, slots=True)
class RepState:
    id: str
    name: str = ""
    active: bool = True
    capacity: int | None = None  # most open leads at once; None: no limit
    open_leads: int = 0
    weight: int = 1  # weighted round robin share; 0 never chosen by weight
    teams: frozenset[str] = frozenset()
    score: float = 0.0  # KPI score in [0, 1]
    out_of_office: tuple[tuple[date, date], ...] = ()  # inclusive date ranges, in the rep's time zone
    working_hours: WorkingHours | None = None  # None: always available


@dataclass(frozen=True, slots=True)
class Roster:
    reps: Mapping[str, RepState]
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # team id -> member rep ids


@dataclass(frozen=True, slots=True)
class AccountMatch:
    """The CRM account (company) the lead belongs to, and how we know."""

    account_id: str
    name: str
    owner_rep_id: str  # "" when the account has no owner, or its owner is not one of our reps
    evidence: str  # e.g. "associated company 123" or "email domain acme.com = company domain"


@dataclass(frozen=True, slots=True)
class RotationState:
    """Round-robin positions: rule id -> the rep id last given a lead by that rule's rotation, and,
    for weighted round robin, rule id -> rep id -> current credit."""

    last: Mapping[str, str] = field(default_factory=dict)
    credits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FilterTrace:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule_id: str
    name: str
    matched: bool
    reasons: tuple[str, ...]  # why each condition held or failed, e.g. "country 'FR' not in [DE, AT]"


@dataclass(frozen=True, slots=True)
class CandidateTrace:
    rep_id: str
    eligible: bool
    reason: str  # "eligible", "inactive", "out of office until 2026-12-03", "full (5/5)", "off hours"
    score: float
    open_leads: int
    capacity: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    rep_id: str = ""
    rule_id: str = ""
    via: str = ""  # "account owner", "pool", "fallback"
    strategy: str = ""
    held_by: str = ""  # the filter that held the lead (outcome HELD)
    filters: tuple[FilterTrace, ...] = ()
    rules: tuple[RuleTrace, ...] = ()
    candidates: tuple[CandidateTrace, ...] = ()
    account: AccountMatch | None = None
    rotation: RotationState | None = None  # the positions after this decision (None: unchanged)


@dataclass(frozen=True, slots=True)
class KpiWeights:
    win_rate: float = 0.5
    load: float = 0.3
    speed: float = 0.2
    prior_wins: float = 2.0  # Beta prior: no outcomes yet scores wins / (wins + losses)
    prior_losses: float = 2.0
    speed_target_seconds: float = 3600.0  # a median first status change this fast scores 0.5


@dataclass(frozen=True, slots=True)
class RepOutcomes:
    won: int = 0
    lost: int = 0
    excluded: int = 0
    open: int = 0
    capacity: int | None = None
    seconds_to_first_change: tuple[float, ...] = ()  # assignment to first status change


@dataclass(frozen=True, slots=True)
class KpiScore:
    score: float  # in [0, 1]
    parts: Mapping[str, float]  # "win_rate", "load", "speed" (each in [0, 1])


def as_decimal(value: Any) -> Decimal | None:
    """Numbers in conditions and lead fields compare as Decimal (None when not a number)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None
