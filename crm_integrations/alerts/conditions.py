"""What counts as a problem: one registered ``Condition`` per incident kind.

crm_integrations registers its own (crm_integrations/alerts/checks.py); the apps above register
theirs in their ``AppConfig.ready`` (routing/alert_conditions.py), because the data they read
(owner write-backs) is theirs and crm_integrations must not import them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from crm_integrations.models import OrganizationIntegration

#: connection, now -> what is wrong, in words (None: nothing is).
Check = Callable[[OrganizationIntegration, datetime], str | None]
#: connection -> (label, path) of the page that fixes it.
Fix = Callable[[OrganizationIntegration], tuple[str, str]]


@dataclass(frozen=True)
class Condition:
    kind: str  # an IncidentKind value
    check: Check
    fix: Fix
    what_to_do: str  # one sentence for the admin, shown on the home and in the notices
    resolved: str  # why it is over, in words ("The connection was reconnected.")


_registry: dict[str, Condition] = {}


def register(condition: Condition) -> None:
    """Register (or replace) the condition of ``condition.kind``."""
    _registry[condition.kind] = condition


def all_conditions() -> list[Condition]:
    return list(_registry.values())


def condition_for(kind: str) -> Condition | None:
    return _registry.get(kind)
