"""Conditions over canonical lead fields: does a lead satisfy one, and why (a short reason for traces).

A condition is compiled once into a check (a closure with its values already folded and its
explanation fragments already rendered) and then run against a :class:`~.values.LeadView`.
:func:`evaluate` and :func:`rule_matches` compile on the fly; the engine keeps compiled rules per
rule set (see ``decide.py``).

Semantics:

* text compares stripped and case-insensitively (``casefold``);
* a field holding a number (Decimal, int, float) compares as a number for ``equals``/``in`` and
  their negations, so ``amount 5000.00`` equals ``5000``;
* ``gt``/``gte``/``lt``/``lte``/``between`` read both sides with :func:`~.types.as_decimal`; a field
  that is not a number fails them with a reason, never an exception; ``between`` is inclusive;
* ``in``/``not_in`` take a list (a string is read as a comma-separated list);
  ``contains``/``not_contains``/``starts_with`` take a string, or a list meaning "any of";
* ``is_empty`` holds for None, "" and whitespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .types import Condition, Match, Op, Rule, RuleTrace
from .values import UNHASHABLE, LeadView, fold, number, show, show_list, show_number

Check = Callable[[LeadView], tuple[bool, str]]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return list(value)
    return [value]


def _not_a_number(name: str, view: LeadView) -> tuple[bool, str]:
    return False, f"{name} {view.shown[name]} is not a number"


def _equals(name: str, value: Any, negate: bool) -> Check:
    """The reason shows the relation that holds: ``source 'EVENT' ≠ 'WEBSITE'``."""
    target_text, target_number = fold(value), number(value)
    target_numtext = show_number(target_number) if target_number is not None else None
    shown = show(value)

    def check(view: LeadView) -> tuple[bool, str]:
        text = view.text[name]
        equal = text == (target_numtext if view.numeric[name] else target_text)
        return equal != negate, f"{name} {view.shown[name]} {'=' if equal else '≠'} {shown}"

    return check


def _in(name: str, value: Any, negate: bool) -> Check:
    items = _as_list(value)
    texts = frozenset(fold(item) for item in items)
    numbers = frozenset(show_number(n) for n in (number(item) for item in items) if n is not None)
    listed = show_list(items)

    def check(view: LeadView) -> tuple[bool, str]:
        text = view.text[name]
        found = text in (numbers if view.numeric[name] else texts)
        return found != negate, f"{name} {view.shown[name]} {'in' if found else 'not in'} {listed}"

    return check


def _contains(name: str, value: Any, op: Op) -> Check:
    items = _as_list(value) if not isinstance(value, str) else [value]
    needles = tuple(fold(item) for item in items if fold(item))
    target = show(items[0]) if len(items) == 1 else f"one of {show_list(items)}"
    if op is Op.STARTS_WITH:
        yes, no = f"starts with {target}", f"does not start with {target}"
    else:
        yes, no = f"contains {target}", f"does not contain {target}"
    negate = op is Op.NOT_CONTAINS

    def check(view: LeadView) -> tuple[bool, str]:
        text = view.text[name]
        if op is Op.STARTS_WITH:
            found = bool(needles) and text.startswith(needles)
        else:
            found = any(needle in text for needle in needles)
        return found != negate, f"{name} {view.shown[name]} {yes if found else no}"

    return check


_ORDER: dict[Op, tuple[Callable[[Decimal, Decimal], bool], str, str]] = {
    # op: (test, sign when it holds, sign when it does not)
    Op.GT: (lambda a, b: a > b, ">", "≤"),
    Op.GTE: (lambda a, b: a >= b, "≥", "<"),
    Op.LT: (lambda a, b: a < b, "<", "≥"),
    Op.LTE: (lambda a, b: a <= b, "≤", ">"),
}


def _compare(name: str, value: Any, op: Op) -> Check:
    bound = number(value)
    test, yes, no = _ORDER[op]
    if bound is None:
        reason = f"{name}: the condition's value {show(value)} is not a number"
        return lambda view: (False, reason)
    shown_bound = show_number(bound)

    def check(view: LeadView) -> tuple[bool, str]:
        amount = view.numbers[name]
        if amount is None:
            return _not_a_number(name, view)
        held = test(amount, bound)
        return held, f"{name} {show_number(amount)} {yes if held else no} {shown_bound}"

    return check


def _between(name: str, value: Any) -> Check:
    items = _as_list(value)
    bounds = [number(item) for item in items]
    if len(bounds) != 2 or bounds[0] is None or bounds[1] is None:
        reason = f"{name}: between needs two numbers [low, high], not {show_list(items)}"
        return lambda view: (False, reason)
    low, high = bounds
    span = f"between {show_number(low)} and {show_number(high)}"

    def check(view: LeadView) -> tuple[bool, str]:
        amount = view.numbers[name]
        if amount is None:
            return _not_a_number(name, view)
        held = low <= amount <= high
        return held, f"{name} {show_number(amount)} {'' if held else 'not '}{span}"

    return check


def _empty(name: str, negate: bool) -> Check:
    def check(view: LeadView) -> tuple[bool, str]:
        empty = not view.text[name]
        shown = "is empty" if empty else f"{view.shown[name]} is not empty"
        return empty != negate, f"{name} {shown}"

    return check


def compile_condition(condition: Condition) -> Check:
    """A check for ``condition``: ``check(LeadView(fields)) -> (held, reason)``."""
    name, value = condition.field, condition.value
    try:
        op = Op(condition.op)
    except ValueError:
        reason = f"{name}: unknown operator {condition.op!r}"
        return lambda view: (False, reason)
    if op in (Op.EQUALS, Op.NOT_EQUALS):
        return _equals(name, value, negate=op is Op.NOT_EQUALS)
    if op in (Op.IN, Op.NOT_IN):
        return _in(name, value, negate=op is Op.NOT_IN)
    if op in (Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH):
        return _contains(name, value, op)
    if op in _ORDER:
        return _compare(name, value, op)
    if op is Op.BETWEEN:
        return _between(name, value)
    return _empty(name, negate=op is Op.IS_NOT_EMPTY)


def evaluate(condition: Condition, fields: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether ``fields`` satisfy ``condition``, and why: ``(False, "country 'FR' not in [DE, AT]")``."""
    return compile_condition(condition)(LeadView(fields))


NO_CONDITIONS = "no conditions: matches every lead"
#: Operators over text: few distinct values per field (countries, sources, ...), so their results
#: are kept per value. Numeric comparisons see a new amount on almost every lead and are not kept.
TEXT_OPS = frozenset(
    {
        Op.EQUALS,
        Op.NOT_EQUALS,
        Op.IN,
        Op.NOT_IN,
        Op.CONTAINS,
        Op.NOT_CONTAINS,
        Op.STARTS_WITH,
        Op.IS_EMPTY,
        Op.IS_NOT_EMPTY,
    }
)
#: At most this many field values kept per condition, and traces per rule (then no more are added).
MEMO_LIMIT = 128


class CompiledRule:
    """A rule with its conditions compiled.

    Evaluation stops as soon as the outcome is known (ALL at the first failing condition, ANY at
    the first holding one); the reasons are those of the conditions evaluated, in order.

    A condition's result depends on its field's value only, so text conditions keep their results
    per value (:data:`TEXT_OPS`); a rule keeps the :class:`RuleTrace` for each combination of kept
    results, and, when its first condition alone decided, under that field's value (most leads
    fail a rule on its first condition, such as a territory): routing many leads with the same
    countries and sources then costs a dictionary lookup per rule.
    """

    __slots__ = ("any_of", "by_first", "first", "parts", "rule", "traces")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.any_of = Match(rule.match) is Match.ANY
        self.parts: tuple[tuple[str, dict[Any, tuple[bool, str]] | None, Check], ...] = tuple(
            (c.field, {} if c.op in TEXT_OPS else None, compile_condition(c)) for c in rule.conditions
        )
        # The first condition's field when its results are kept (else None), and first value -> trace.
        self.first = self.parts[0][0] if self.parts and self.parts[0][1] is not None else None
        self.by_first: dict[Any, RuleTrace] = {}
        self.traces: dict[tuple[bool, tuple[str, ...]], RuleTrace] = {}

    def evaluate(self, view: LeadView) -> tuple[bool, tuple[str, ...], bool]:
        """``(matched, reasons, kept)``: ``kept`` when every reason came from a kept result."""
        if not self.parts:
            return True, (NO_CONDITIONS,), True
        keys = view.keys
        stop_on = self.any_of  # ANY stops at the first condition that holds, ALL at the first that fails
        reasons = []
        kept = True
        for name, memo, check in self.parts:
            if memo is None:
                held, reason = check(view)
                kept = False
            else:
                key = keys[name]
                result = memo.get(key) if key is not UNHASHABLE else None
                if result is None:
                    result = check(view)
                    if key is not UNHASHABLE and len(memo) < MEMO_LIMIT:
                        memo[key] = result
                    else:
                        kept = False
                held, reason = result
            reasons.append(reason)
            if held == stop_on:
                return held, tuple(reasons), kept
        return not stop_on, tuple(reasons), kept

    def trace(self, view: LeadView) -> RuleTrace:
        """This rule's :class:`RuleTrace` for the lead (shared with earlier leads when kept)."""
        first = self.first
        if first is not None:
            first_key = view.keys[first]
            found = self.by_first.get(first_key) if first_key is not UNHASHABLE else None
            if found is not None:
                return found
        matched, reasons, kept = self.evaluate(view)
        if not kept:
            return RuleTrace(self.rule.id, self.rule.name, matched, reasons)
        trace = self.traces.get((matched, reasons))
        if trace is None:
            trace = RuleTrace(self.rule.id, self.rule.name, matched, reasons)
            if len(self.traces) < MEMO_LIMIT:
                self.traces[matched, reasons] = trace
        if first is not None and len(reasons) == 1 and len(self.by_first) < MEMO_LIMIT:
            self.by_first[first_key] = trace  # the first condition alone decided
        return trace


def first_match(rules: Sequence[CompiledRule], view: LeadView) -> tuple[tuple[RuleTrace, ...], int]:
    """The traces of the rules up to and including the first that matches, and that rule's index
    (-1 when none matched: then every rule was traced). Inlines :meth:`CompiledRule.trace`'s first
    lookup (a per-lead loop over many rules)."""
    keys = view.keys
    traces: list[RuleTrace] = []
    for index, rule in enumerate(rules):
        first = rule.first
        trace = rule.by_first.get(keys[first]) if first is not None else None
        if trace is None:
            trace = rule.trace(view)
        traces.append(trace)
        if trace.matched:
            return tuple(traces), index
    return tuple(traces), -1


def compile_rule(rule: Rule) -> CompiledRule:
    return CompiledRule(rule)


def rule_matches(rule: Rule, fields: Mapping[str, Any]) -> tuple[bool, tuple[str, ...]]:
    """Whether ``fields`` match ``rule`` (ALL or ANY of its conditions), with the reasons."""
    matched, reasons, _ = compile_rule(rule).evaluate(LeadView(fields))
    return matched, reasons
