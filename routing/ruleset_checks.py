"""Selectors: warnings on a rule set's draft — rules that can never fire, positions shared.

The refusal (no enabled rule) lives in ``routing/rulesets.py`` beside publishing; these are the
warnings. The rule set page (``routing/admin/rules.py``) shows :func:`draft_warnings` beside each
rule and the publish page (``routing/admin/ruleset_views.py``) lists them; publishing goes on.

A rule is flagged as never firing only when that is *proved* from the rules as written: routing
takes the first enabled rule that matches (``routing/engine/conditions.py: first_match``), so an
earlier rule that matches every lead the later one matches takes all of them. The proof is kept
to what the engine's semantics make certain:

* an earlier rule with no conditions matches every lead (a catch-all);
* a condition implies another on the same field when they are the same (operator and value,
  compared as the engine folds them: trimmed, case-insensitive, lists as sets), or when an
  "is one of" list (or an "equals") is contained in a broader "is one of" list;
* an earlier "all conditions" rule is broader when each of its conditions is implied by the later
  rule (for an "any condition" later rule: by every one of its conditions).

Anything else (number ranges, "contains" against "equals", ...) is not flagged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .engine.types import Match, Op
from .engine.values import fold
from .models import Rule
from .models import RuleSet as RuleSetRow
from .rulesets import LIST_OPS, condition_value


@dataclass(frozen=True)
class Clause:
    """One condition as the engine compares it: ``value`` folded (a frozenset for lists)."""

    field: str
    op: str
    value: object

    def implies(self, other: Clause) -> bool:
        """Whether every lead satisfying ``self`` satisfies ``other`` (False when not proved)."""
        if self.field != other.field:
            return False
        if (self.op, self.value) == (other.op, other.value):
            return True
        if other.op != Op.IN or not isinstance(other.value, frozenset):
            return False
        if self.op == Op.IN and isinstance(self.value, frozenset):
            return bool(self.value) and self.value <= other.value
        return self.op == Op.EQUALS and self.value in other.value


def _clause(field: str, op: str, text: str) -> Clause | None:
    """The clause of a stored condition (None when its value cannot be read: no proof from it)."""
    try:
        value = condition_value(op, text)
    except ValidationError:
        return None
    if op in LIST_OPS:
        return Clause(field, op, frozenset(fold(item) for item in value))
    if isinstance(value, list):
        return Clause(field, op, tuple(fold(item) for item in value))
    return Clause(field, op, None if value is None else fold(value))


@dataclass(frozen=True)
class RuleShape:
    pk: int
    name: str
    position: int
    match: str
    clauses: tuple[Clause, ...]
    readable: bool  # every condition could be read

    @property
    def catch_all(self) -> bool:
        return self.readable and not self.clauses

    def covers(self, later: RuleShape) -> bool:
        """Whether this rule matches every lead ``later`` matches (proved, else False)."""
        if not self.readable or not later.readable:
            return False
        if self.catch_all:
            return True
        if not later.clauses:
            return False  # the later rule takes every lead; this one only some
        mine = self.clauses
        if later.match == Match.ALL or len(later.clauses) == 1:
            # Every condition of the later rule holds at once.
            if self.match == Match.ALL or len(mine) == 1:
                return all(any(b.implies(a) for b in later.clauses) for a in mine)
            return any(b.implies(a) for b in later.clauses for a in mine)
        # "Any condition": any one of the later rule's conditions may be the one that holds.
        if self.match == Match.ALL or len(mine) == 1:
            return all(all(b.implies(a) for a in mine) for b in later.clauses)
        return all(any(b.implies(a) for a in mine) for b in later.clauses)


def _shapes(rules: Sequence[Rule]) -> list[RuleShape]:
    shapes = []
    for rule in rules:
        clauses = [_clause(c.field, c.op, c.value) for c in rule.conditions.all()]
        shapes.append(
            RuleShape(
                pk=rule.pk,
                name=rule.name,
                position=rule.position,
                match=rule.match,
                clauses=tuple(c for c in clauses if c is not None),
                readable=all(c is not None for c in clauses),
            )
        )
    return shapes


def draft_rules(ruleset: RuleSetRow) -> list[Rule]:
    """The draft's rules in the order routing tries them (disabled ones included)."""
    return list(
        Rule.objects.filter(ruleset=ruleset).prefetch_related("conditions").order_by("position", "id")
    )


def draft_warnings(ruleset: RuleSetRow, rules: Sequence[Rule] | None = None) -> dict[int, list[str]]:
    """Rule pk → warnings in words: never fires (and which rule above takes its leads), shared position."""
    rules = draft_rules(ruleset) if rules is None else rules
    warnings: dict[int, list[str]] = defaultdict(list)
    enabled = _shapes([rule for rule in rules if rule.enabled])
    for index, later in enumerate(enabled):
        earlier = next((rule for rule in enabled[:index] if rule.covers(later)), None)
        if earlier is None:
            continue
        if earlier.catch_all:
            why = f"the catch-all rule '{earlier.name}' above it takes every lead"
        else:
            why = f"the broader rule '{earlier.name}' above it takes every lead this rule would match"
        warnings[later.pk].append(f"Never fires: {why}.")
    by_position: dict[int, list[Rule]] = defaultdict(list)
    for rule in rules:
        by_position[rule.position].append(rule)
    for position, shared in by_position.items():
        if len(shared) < 2:
            continue
        for rule in shared:
            others = ", ".join(f"'{other.name}'" for other in shared if other.pk != rule.pk)
            warnings[rule.pk].append(
                f"Shares position {position} with {others}: move the rules to set their order."
            )
    return dict(warnings)


def warning_lines(ruleset: RuleSetRow) -> list[str]:
    """Every warning of the draft, each naming its rule (for the publish page)."""
    rules = draft_rules(ruleset)
    found = draft_warnings(ruleset, rules)
    return [f"'{rule.name}': {text}" for rule in rules for text in found.get(rule.pk, ())]
