"""Services: the order of a draft's rules — moved up or down from the rule set page, kept 1..n.

Staff no longer type positions (two rules at "position 1" left the order to creation time and a
new rule silently behind the starter catch-all). Every move renumbers the whole draft 1..n in its
current order first, so positions stay distinct; a new rule goes last (``next_position``).
"""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import Rule
from .models import RuleSet as RuleSetRow

Direction = Literal["up", "down"]


def next_position(ruleset: RuleSetRow) -> int:
    """The position after the draft's last rule."""
    return (Rule.objects.filter(ruleset=ruleset).aggregate(last=Max("position"))["last"] or 0) + 1


def _renumbered(ruleset_id: int) -> list[Rule]:
    """The draft's rules (locked) in order, with positions rewritten 1..n where they differ."""
    rules = list(Rule.objects.select_for_update().filter(ruleset_id=ruleset_id).order_by("position", "id"))
    for number, rule in enumerate(rules, start=1):
        rule.position = number
    return rules


def move_rule(rule: Rule, direction: Direction, user: Any = None) -> bool:
    """Swap ``rule`` with its neighbour above or below (False when it is already first or last).
    Marks the draft as changed by ``user``."""
    with transaction.atomic():
        rules = _renumbered(rule.ruleset_id)
        index = next(i for i, row in enumerate(rules) if row.pk == rule.pk)
        other = index - 1 if direction == "up" else index + 1
        moved = 0 <= other < len(rules)
        if moved:
            rules[index].position, rules[other].position = rules[other].position, rules[index].position
        Rule.objects.bulk_update(rules, ["position"])
        if moved:
            RuleSetRow.objects.filter(pk=rule.ruleset_id).update(
                draft_updated_at=timezone.now(),
                draft_updated_by=user if getattr(user, "pk", None) else None,
            )
    return moved
