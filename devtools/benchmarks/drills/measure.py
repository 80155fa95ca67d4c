"""What a drill counts, read back from the sandbox's own records (owner property history, tasks)
and our database (leads, decisions): reading them costs no API call.

- written: the drill's leads with an owner at the CRM;
- duplicated writes: owner values an app wrote beyond the first on one lead (the property's
  history, source ``API``), plus follow-up tasks beyond the first for one assignment (a task's body
  carries ``[lead-routing:decision-<id>]``, crm_integrations/hubspot/follow_ups.py);
- lost: leads created that have no owner at the end (the starter rules give every lead to the
  sales team, so every drill lead should get one);
- seconds to recover: from the fault's end to the last lead's owner written (0 when every owner
  was written before it ended).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from devtools.benchmarks.routing.latency import BUSY_WRITES
from devtools.benchmarks.routing.latency_measure import OWNER, owned_count
from devtools.sandboxes.hubspot import RunningSandbox
from field_mapping.models import Lead
from routing.models import Decision, OwnerWrite

from .stack import PORTAL, Stack, wait_until

TASK_BODY = "hs_task_body"
TASK_REFERENCE = re.compile(r"\[lead-routing:decision-(\d+)\]")


@dataclass(frozen=True)
class DrillResult:
    name: str
    sent: int  # leads created at the CRM; for the request drills, webhook requests sent
    refused: int  # requests answered 4xx
    stored: int  # the drill's leads stored
    routed: int  # ... with a current routing decision
    written: int  # ... with an owner at the CRM
    lost: int
    duplicated: int
    recover_seconds: float | None
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # what went wrong besides losses and duplicates

    @property
    def passed(self) -> bool:
        return not (self.lost or self.duplicated or self.problems)


def owner_writes(sandbox: RunningSandbox, ids: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
    """Each lead's owner writes by an app: (history time in ms, value), oldest first."""
    state = sandbox.state
    with state.lock:
        records = state.portal(PORTAL).records["leads"]
        return {
            lead_id: sorted(
                (entry.timestamp_ms, entry.value)
                for entry in records[int(lead_id)].history.get(OWNER, ())
                if entry.value and entry.source_type == "API"
            )
            for lead_id in ids
        }


def same_value_rewrites(writes: dict[str, list[tuple[int, str]]]) -> int:
    """Duplicated owner writes that carried the owner already in place (a held write landing after
    the app wrote it again, say), as opposed to a lead handed to another rep."""
    return sum(1 for times in writes.values() for before, after in pairwise(times) if before[1] == after[1])


def tasks_per_decision(sandbox: RunningSandbox) -> Counter[int]:
    state = sandbox.state
    with state.lock:
        tasks = state.portal(PORTAL).records.get("tasks", {}).values()
        bodies = [task.properties.get(TASK_BODY) or "" for task in tasks if not task.archived]
    return Counter(int(match[1]) for body in bodies if (match := TASK_REFERENCE.search(body)))


def wait_for_owners(stack: Stack, ids: Sequence[str], timeout: float) -> bool:
    return wait_until(lambda: owned_count(stack.sandbox, PORTAL, ids) == len(ids), timeout)


def settle(stack: Stack, hold: float = 0.0, timeout: float = 60.0) -> None:
    """Let what is still under way land before counting: requests the sandbox holds (``hold``
    seconds), owner writes being sent or retried, webhooks (our writes' echoes) being delivered."""
    time.sleep(hold)

    def quiet() -> bool:
        busy = OwnerWrite.objects.filter(connection=stack.connection, status__in=BUSY_WRITES).exists()
        return not busy and stack.sandbox.control.wait_for_deliveries(timeout=1.0)

    wait_until(quiet, timeout, interval=0.5)


def lead_result(
    stack: Stack,
    name: str,
    ids: Sequence[str],
    *,
    fault_end_ms: int | None,
    sent: int | None = None,
    refused: int = 0,
    notes: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> DrillResult:
    """The figures of a drill whose ``ids`` should all end up owned at the CRM, exactly once."""
    writes = owner_writes(stack.sandbox, ids)
    decisions = Decision.objects.filter(lead__connection=stack.connection, lead__external_id__in=list(ids))
    decision_ids = set(decisions.values_list("pk", flat=True))
    tasks = tasks_per_decision(stack.sandbox)
    first_writes = [times[0][0] for times in writes.values() if times]
    written = owned_count(stack.sandbox, PORTAL, ids)
    duplicated_owners = sum(len(times) - 1 for times in writes.values() if times)
    duplicated_tasks = sum(count - 1 for decision, count in tasks.items() if decision in decision_ids)
    if duplicated_owners or duplicated_tasks:
        same = same_value_rewrites(writes)
        notes = [
            *notes,
            f"duplicated: {duplicated_owners} owner writes ({same} of them the owner already in place), "
            f"{duplicated_tasks} follow-up tasks",
        ]
    return DrillResult(
        name=name,
        sent=len(ids) if sent is None else sent,
        refused=refused,
        stored=Lead.objects.filter(connection=stack.connection, external_id__in=list(ids)).count(),
        routed=decisions.filter(is_current=True).values("lead").distinct().count(),
        written=written,
        lost=len(ids) - written,
        duplicated=duplicated_owners + duplicated_tasks,
        recover_seconds=(
            None
            if fault_end_ms is None or not first_writes
            else max(0.0, (max(first_writes) - fault_end_ms) / 1000)
        ),
        notes=tuple(notes),
        problems=tuple(problems),
    )


def now_ms() -> int:
    return int(time.time() * 1000)
