"""The routing engine: plain Python, no Django (an import-linter contract in ``pyproject.toml``
keeps it so).

Its one entry point is :func:`decide` (``decide.py``): ``decide(lead, ruleset, roster, rotation,
now=..., account=...)`` routes one lead and returns a :class:`Decision` with its traces; the
service layer (``routing/assign.py``) and the simulation (``routing/simulation.py``) both call it.
The inputs and the decision are the types in ``types.py``; what is kept between decisions so that
a stream of leads is cheap to route is in ``cache.py``. The other functions exported here are
not other ways to decide but inputs and parts of it: :func:`lead_facts` builds the facts
``decide`` takes, :func:`kpi_score` the rep score ``routing/outcomes.py`` stores (read back as
``RepState.score``), and :func:`evaluate`, :func:`rule_matches` and :func:`availability` answer
for one condition, rule or rep.
"""

from .conditions import evaluate, rule_matches
from .decide import decide
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
