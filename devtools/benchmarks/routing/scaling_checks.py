"""What the worker-scaling benchmark verifies after each burst, with N Celery processes racing:

- no double assignment: each lead's owner written once at the CRM (the sandbox's record history
  keeps an entry per API write of the owner property) and one assigned decision and one owner
  write per lead in our database;
- no rep over capacity: each rep's current assignments at most its capacity (the benchmark sets a
  tight one, devtools/benchmarks/routing/scaling.py, so an overfill would show);
- the round-robin order intact: replaying the assigned decisions in the order they were made
  through the engine's own ``round_robin`` (routing/engine/strategies.py), with the eligible reps
  each decision's trace recorded, picks the rep every decision chose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crm_integrations.models import OrganizationIntegration
from devtools.benchmarks.routing.latency_measure import OWNER
from devtools.sandboxes.hubspot import RunningSandbox
from routing.engine import RepState, RotationState
from routing.engine.strategies import round_robin
from routing.models import Decision, DecisionOutcome, OwnerWrite, Rep


@dataclass(frozen=True)
class Checks:
    leads: int
    written_twice: int  # leads whose owner the CRM saw written more than once
    assigned_twice: int  # leads with more than one assigned decision or owner write here
    over_capacity: int  # reps with more current assignments than their capacity
    rotation_checked: int  # assigned decisions replayed
    rotation_breaks: int  # ... whose rep is not the one the engine's rotation gives

    @property
    def double_assignments(self) -> int:
        return self.written_twice + self.assigned_twice

    @property
    def ok(self) -> bool:
        return self.double_assignments == self.over_capacity == self.rotation_breaks == 0


def owner_writes_at_crm(sandbox: RunningSandbox, portal_id: int, ids: Sequence[str]) -> Counter[str]:
    """API writes of the owner property per lead, from the sandbox's record history."""
    state = sandbox.state
    with state.lock:
        records = state.portal(portal_id).records["leads"]
        return Counter(
            {
                lead_id: sum(
                    1 for e in records[int(lead_id)].history.get(OWNER, ()) if e.source_type == "API"
                )
                for lead_id in ids
            }
        )


def _assigned_twice(connection: OrganizationIntegration) -> int:
    decisions = Counter(
        Decision.objects.filter(lead__connection=connection, outcome=DecisionOutcome.ASSIGNED).values_list(
            "lead_id", flat=True
        )
    )
    writes = Counter(OwnerWrite.objects.filter(connection=connection).values_list("record_id", flat=True))
    return sum(1 for n in decisions.values() if n > 1) + sum(1 for n in writes.values() if n > 1)


def _over_capacity(connection: OrganizationIntegration) -> int:
    current = Counter(
        Decision.objects.filter(
            lead__connection=connection, outcome=DecisionOutcome.ASSIGNED, is_current=True
        ).values_list("rep_id", flat=True)
    )
    reps = Rep.objects.filter(organization_id=connection.organization_id, capacity__isnull=False)
    return sum(1 for rep in reps if current.get(rep.pk, 0) > (rep.capacity or 0))


def rotation_breaks(decisions: Sequence[tuple[str, str, dict[str, Any]]]) -> int:
    """Decisions ``(rule id, chosen rep id, trace)`` in the order they were made whose rep is not
    the engine's round-robin pick after the previous one of the same rule."""
    last: dict[str, str] = {}
    breaks = 0
    for rule_id, chosen, trace in decisions:
        pool = [str(c["rep_id"]) for c in trace.get("candidates", ())]
        eligible = [
            (index, RepState(id=rep_id))
            for index, (rep_id, candidate) in enumerate(zip(pool, trace["candidates"], strict=True))
            if candidate["eligible"]
        ]
        previous = last.get(rule_id)
        after = pool.index(previous) if previous in pool else None
        if eligible:
            expected = round_robin(rule_id, eligible, after, RotationState(last={}, credits={})).rep_id
            breaks += expected != chosen
        last[rule_id] = chosen
    return breaks


def _rotation(connection: OrganizationIntegration) -> tuple[int, int]:
    rows = (
        Decision.objects.filter(
            lead__connection=connection, outcome=DecisionOutcome.ASSIGNED, strategy="round_robin"
        )
        .order_by("id")
        .values_list("rule_key", "rep_id", "trace")
    )
    replayed = [(rule, str(rep), trace) for rule, rep, trace in rows]
    return len(replayed), rotation_breaks(replayed)


def check_burst(sandbox: RunningSandbox, connection: OrganizationIntegration, ids: Sequence[str]) -> Checks:
    writes = owner_writes_at_crm(sandbox, int(connection.external_account_id), ids)
    checked, breaks = _rotation(connection)
    return Checks(
        leads=len(ids),
        written_twice=sum(1 for n in writes.values() if n > 1),
        assigned_twice=_assigned_twice(connection),
        over_capacity=_over_capacity(connection),
        rotation_checked=checked,
        rotation_breaks=breaks,
    )
