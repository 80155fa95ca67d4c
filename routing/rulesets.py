"""Rule sets: the draft as a snapshot, publishing it as a version, and compiling a version for the engine."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from crm_integrations.models import Organization

from .engine.types import Condition, Match, Op, Pool, Rule, RuleSet, Strategy
from .models import Rule as RuleRow
from .models import RuleSet as RuleSetRow
from .models import RuleSetVersion

LIST_OPS = frozenset({Op.IN, Op.NOT_IN})
#: A rule's parts as the publish summary names them.
CHANGED_PARTS = {
    "match": "which leads (all/any)",
    "strategy": "how the pool shares leads",
    "pool_strategy": "when the account owner cannot take the lead",
    "pool": "pool",
    "fallback": "fallback",
}
NO_ENABLED_RULE = (
    "No rule is enabled: every lead would end 'no rule matched' and stay unowned. "
    "Enable a rule (or add one) before publishing."
)


def condition_value(op: str, text: str) -> Any:
    """The typed value of a condition as staff typed it: lists comma-separated, ranges ``low..high``."""
    if op in LIST_OPS:
        return [item.strip() for item in text.split(",") if item.strip()]
    if op == Op.BETWEEN:
        low, sep, high = text.partition("..")
        if not sep or not low.strip() or not high.strip():
            raise ValidationError(f"'between' needs 'low..high', not '{text}'.")
        return [low.strip(), high.strip()]
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return None
    return text.strip()


def ruleset_for(organization: Organization) -> RuleSetRow:
    ruleset, _ = RuleSetRow.objects.get_or_create(organization=organization)
    return ruleset


def draft_snapshot(ruleset: RuleSetRow) -> dict[str, Any]:
    """The draft's enabled rules in order, as JSON (what a version stores and the engine compiles),
    and its disabled rules by id and name (so a version's changes say "disabled", not "removed")."""
    rules = list(
        RuleRow.objects.filter(ruleset=ruleset)
        .prefetch_related("conditions", "pool_reps", "pool_teams", "fallback_reps", "fallback_teams")
        .order_by("position", "id")
    )
    return {
        "rules": [_rule_snapshot(rule) for rule in rules if rule.enabled],
        "disabled": [{"id": str(rule.key), "name": rule.name} for rule in rules if not rule.enabled],
    }


def _rule_snapshot(rule: RuleRow) -> dict[str, Any]:
    return {
        "id": str(rule.key),
        "name": rule.name,
        "match": rule.match,
        "strategy": rule.strategy,
        "pool_strategy": rule.pool_strategy,
        "conditions": [
            {"field": c.field, "op": c.op, "value": condition_value(c.op, c.value)}
            for c in rule.conditions.all()
        ],
        "pool": _pool(rule.pool_reps.all(), rule.pool_teams.all()),
        "fallback": _pool(rule.fallback_reps.all(), rule.fallback_teams.all()),
    }


def _pool(reps: Any, teams: Any) -> dict[str, list[str]]:
    return {"reps": sorted(str(rep.pk) for rep in reps), "teams": sorted(str(team.pk) for team in teams)}


def snapshot_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Human-readable differences between two snapshots: rules added, removed, enabled, disabled,
    changed, and moved (each moved rule named with where it went)."""
    old = {rule["id"]: rule for rule in (before or {}).get("rules", [])}
    new = {rule["id"]: rule for rule in after.get("rules", [])}
    was_disabled = {rule["id"] for rule in (before or {}).get("disabled", [])}
    now_disabled = {rule["id"] for rule in after.get("disabled", [])}
    changes = [
        f"{'enabled' if key in was_disabled else 'added'} rule '{new[key]['name']}'"
        for key in new
        if key not in old
    ]
    changes += [
        f"{'disabled' if key in now_disabled else 'removed'} rule '{old[key]['name']}'"
        for key in old
        if key not in new
    ]
    for key in new.keys() & old.keys():
        fields = [name for name in new[key] if name != "id" and new[key][name] != old[key].get(name)]
        if fields:
            what = ", ".join(sorted(CHANGED_PARTS.get(name, name) for name in fields))
            changes.append(f"changed rule '{new[key]['name']}': {what}")
    changes += _moves([key for key in old if key in new], [key for key in new if key in old], new)
    return changes or ["no changes"]


def _moves(old_order: list[str], new_order: list[str], rules: dict[str, Any]) -> list[str]:
    """The fewest rules whose moves turn ``old_order`` into ``new_order`` (the rest keep their
    relative order: the longest run in the old order), each as "moved rule 'X' above 'Y'"."""
    if old_order == new_order:
        return []
    rank = {key: index for index, key in enumerate(old_order)}
    ranks = [rank[key] for key in new_order]
    # Longest increasing subsequence of the old ranks, read in the new order (n is small).
    best: list[list[int]] = []
    for i, value in enumerate(ranks):
        longest = max((best[j] for j in range(i) if ranks[j] < value), key=len, default=[])
        best.append([*longest, i])
    kept = set(max(best, key=len))
    moves = []
    for i, key in enumerate(new_order):
        if i in kept:
            continue
        if i + 1 < len(new_order):
            where = f"above '{rules[new_order[i + 1]]['name']}'"
        else:
            where = f"below '{rules[new_order[i - 1]]['name']}' (last)"
        moves.append(f"moved rule '{rules[key]['name']}' {where}")
    return moves


def check_publishable(snapshot: dict[str, Any]) -> None:
    """``ValidationError`` with the reason when a draft must not be published."""
    if not snapshot.get("rules"):
        raise ValidationError(NO_ENABLED_RULE)
    compile_snapshot(snapshot)  # refuse what the engine could not run


def publish(ruleset: RuleSetRow, user: Any = None, note: str = "") -> RuleSetVersion:
    """Freeze the draft as the next version; routing uses it from the next lead on.

    Refused (``ValidationError``, the live version stays) when no rule is enabled or the engine
    could not run the draft; warnings (``routing/ruleset_checks.py``) do not stop it."""
    snapshot = draft_snapshot(ruleset)
    check_publishable(snapshot)
    with transaction.atomic():
        locked = RuleSetRow.objects.select_for_update().get(pk=ruleset.pk)
        latest = locked.versions.order_by("-number").first()
        return RuleSetVersion.objects.create(
            ruleset=locked,
            number=(latest.number + 1) if latest else 1,
            snapshot=snapshot,
            changes=snapshot_changes(latest.snapshot if latest else None, snapshot),
            note=note,
            published_by=user if getattr(user, "pk", None) else None,
        )


def live_version(organization_id: int) -> RuleSetVersion | None:
    return RuleSetVersion.objects.filter(ruleset__organization_id=organization_id).order_by("-number").first()


def compile_snapshot(snapshot: dict[str, Any], version: str = "") -> RuleSet:
    """The engine's ``RuleSet`` for a snapshot (``ValidationError`` for a value it cannot run)."""
    try:
        rules = tuple(
            Rule(
                id=rule["id"],
                name=rule["name"],
                match=Match(rule["match"]),
                strategy=Strategy(rule["strategy"]),
                pool_strategy=Strategy(rule["pool_strategy"]),
                conditions=tuple(
                    Condition(c["field"], Op(c["op"]), _freeze(c["value"])) for c in rule["conditions"]
                ),
                pool=Pool(tuple(rule["pool"]["reps"]), tuple(rule["pool"]["teams"])),
                fallback=Pool(tuple(rule["fallback"]["reps"]), tuple(rule["fallback"]["teams"])),
            )
            for rule in snapshot.get("rules", [])
        )
    except (KeyError, ValueError, TypeError) as error:
        raise ValidationError(f"The rules cannot be run: {error}") from error
    return RuleSet(rules=rules, version=version)


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


_compiled: dict[tuple[int, str], RuleSet] = {}


def compiled_version(version: RuleSetVersion) -> RuleSet:
    """A published version compiled once per process (versions never change; keyed by id and
    publish time so a reused id, e.g. after a rolled-back test, never returns another's rules)."""
    key = (version.pk, version.published_at.isoformat())
    compiled = _compiled.get(key)
    if compiled is None:
        if len(_compiled) >= 64:
            _compiled.clear()
        compiled = _compiled[key] = compile_snapshot(version.snapshot, version=f"v{version.number}")
    return compiled
