"""monday's complexity accounting: a static cost per query, charged against a per-account budget.

monday computes a query's cost before running it from what the query *could* return (lists count
with their ``limit``), refuses it when the account's budget for the window cannot pay for it (429,
``COMPLEXITY_BUDGET_EXHAUSTED``), and reports ``complexity { before query after reset_in_x_seconds }``.
monday does not publish its cost formula; the sandbox's is its own, with the same shape: one point per
field, list fields multiplied by their ``limit`` (or a typical size), each mutation a fixed base cost.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)

from ..clock import Clock

FIELD_COST = 1
#: Each root mutation field (monday publishes no figure; ours makes a write cost like a 1,000-cell read).
MUTATION_COST = 1000
#: List fields without a ``limit``: their typical size on a lead board.
TYPICAL_SIZES = {
    "column_values": 15,
    "columns": 15,
    "groups": 5,
    "persons_and_teams": 3,
    "values": 3,
    "teams": 3,
    "owners": 3,
    "subscribers": 3,
    "webhooks": 5,
}
#: List fields taking ``limit`` (and its default).
LIMITED = {"boards": 25, "items": 25, "users": 200}
#: Fields returning an ``ItemsResponse`` whose ``items`` list has the field's ``limit``.
PAGED = {"items_page": 25, "next_items_page": 25, "items_page_by_column_values": 25}


def _argument(node: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, ListValueNode):
            return list(value.values)
        return None
    return None


def _count(value: Any, default: int) -> int:
    try:
        return max(0, int(value)) if value is not None else default
    except (TypeError, ValueError):
        return default


class Estimator:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]) -> None:
        self.fragments = fragments
        self.variables = variables

    def selection(self, selection_set: SelectionSetNode | None, page_size: int | None = None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, page_size)
            elif isinstance(node, InlineFragmentNode):
                total += self.selection(node.selection_set, page_size)
            elif isinstance(node, FragmentSpreadNode) and node.name.value in self.fragments:
                total += self.selection(self.fragments[node.name.value].selection_set, page_size)
        return total

    def field(self, node: FieldNode, page_size: int | None) -> int:
        name = node.name.value
        if name.startswith("__") or name == "complexity":
            return 0
        if name in PAGED:
            size = _count(_argument(node, "limit", self.variables), PAGED[name])
            return FIELD_COST + self.selection(node.selection_set, size)
        children = self.selection(node.selection_set)
        if name == "items" and page_size is not None:  # ItemsResponse.items
            return FIELD_COST + page_size * children
        if name in LIMITED:
            size = _count(_argument(node, "limit", self.variables), LIMITED[name])
            ids = _argument(node, "ids", self.variables)
            if isinstance(ids, list) and ids:
                size = min(size, len(ids)) if name == "items" else len(ids)
            return FIELD_COST + size * children
        if name in TYPICAL_SIZES:
            return FIELD_COST + TYPICAL_SIZES[name] * children
        return FIELD_COST + children


def query_cost(
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> int:
    estimator = Estimator(fragments, variables or {})
    if operation.operation == OperationType.MUTATION:
        return sum(
            MUTATION_COST + estimator.selection(node.selection_set)
            for node in operation.selection_set.selections
            if isinstance(node, FieldNode) and node.name.value != "complexity"
        )
    return max(1, estimator.selection(operation.selection_set))


@dataclass(frozen=True)
class Charge:
    allowed: bool
    before: int
    cost: int
    after: int
    reset_in: int
    limit: int


class ComplexityBudget:
    """A fixed window per account that starts with its first charge (``reset_in_x_seconds`` counts down)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[int, tuple[float, int]] = {}  # account -> (window start, points used)

    def charge(self, account: int, cost: int, limit: int, window: int) -> Charge:
        moment = self._clock.monotonic()
        with self._lock:
            start, used = self._windows.get(account, (moment, 0))
            if moment - start >= window:
                start, used = moment, 0
            reset_in = max(0, math.ceil(start + window - moment))
            before = limit - used
            if cost > before:
                self._windows[account] = (start, used)
                return Charge(False, before, cost, before, reset_in, limit)
            self._windows[account] = (start, used + cost)
            return Charge(True, before, cost, before - cost, reset_in, limit)

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
