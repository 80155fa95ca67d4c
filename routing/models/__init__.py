"""Routing's data: reps and teams, rule sets with versions, the per-organization policy and
rotation state, decisions with their write-backs, and each lead's journey."""

from .decisions import Decision, DecisionOutcome, DecisionTrigger, OwnerWrite, WriteStatus
from .existing_leads import ExistingLeadsRun, RunStatus
from .journey import JourneyEvent, JourneyKind
from .journey_proxy import LeadJourney
from .policy import RoutingPolicy, RoutingState
from .reps import OutOfOffice, Rep, RepIdentity, Team
from .rules import Condition, Rule, RuleSet, RuleSetVersion
from .timings import LeadTimingRollup

__all__ = [
    "Condition",
    "Decision",
    "DecisionOutcome",
    "DecisionTrigger",
    "ExistingLeadsRun",
    "JourneyEvent",
    "JourneyKind",
    "LeadJourney",
    "LeadTimingRollup",
    "OutOfOffice",
    "OwnerWrite",
    "Rep",
    "RepIdentity",
    "RoutingPolicy",
    "RoutingState",
    "Rule",
    "RuleSet",
    "RuleSetVersion",
    "RunStatus",
    "Team",
    "WriteStatus",
]
