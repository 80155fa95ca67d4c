"""The routing engine: plain Python, no Django. ``decide`` routes one lead; see ``types`` for the
interface and ``decide`` for the order of things."""

from .conditions import evaluate, rule_matches
from .decide import Engine, decide
from .eligibility import availability
from .facts import lead_facts
from .kpi import kpi_score
from .types import (
    AccountMatch,
    CandidateTrace,
    Condition,
    Decision,
    FilterTrace,
    KpiScore,
    KpiWeights,
    LeadFacts,
    Match,
    Op,
    Outcome,
    OwnerPolicy,
    Pool,
    RepOutcomes,
    RepState,
    Roster,
    RotationState,
    RouteIfPolicy,
    Rule,
    RuleSet,
    RuleTrace,
    Strategy,
    WorkingHours,
    as_decimal,
)

__all__ = [
    "AccountMatch",
    "CandidateTrace",
    "Condition",
    "Decision",
    "Engine",
    "FilterTrace",
    "KpiScore",
    "KpiWeights",
    "LeadFacts",
    "Match",
    "Op",
    "Outcome",
    "OwnerPolicy",
    "Pool",
    "RepOutcomes",
    "RepState",
    "Roster",
    "RotationState",
    "RouteIfPolicy",
    "Rule",
    "RuleSet",
    "RuleTrace",
    "Strategy",
    "WorkingHours",
    "as_decimal",
    "availability",
    "decide",
    "evaluate",
    "kpi_score",
    "lead_facts",
    "rule_matches",
]
