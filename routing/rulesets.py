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
    """The draft's enabled rules in order, as JSON (what a version stores and the engine compiles)."""
    rules = (
        RuleRow.objects.filter(ruleset=ruleset, enabled=True)
        .prefetch_related("conditions", "pool_reps", "pool_teams", "fallback_reps", "fallback_teams")
        .order_by("position", "id")
    )
    return {"rules": [_rule_snapshot(rule) for rule in rules]}


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
    """Human-readable differences between two snapshots (added, removed, changed, moved rules)."""
    old = {rule["id"]: rule for rule in (before or {}).get("rules", [])}
    new = {rule["id"]: rule for rule in after.get("rules", [])}
    changes = [f"added rule '{new[key]['name']}'" for key in new if key not in old]
    changes += [f"removed rule '{old[key]['name']}'" for key in old if key not in new]
    for key in new.keys() & old.keys():
        fields = [name for name in new[key] if name != "id" and new[key][name] != old[key].get(name)]
        if fields:
            changes.append(f"changed rule '{new[key]['name']}': {', '.join(sorted(fields))}")
    common_old = [key for key in old if key in new]
    common_new = [key for key in new if key in old]
    if common_old != common_new:
        changes.append("reordered rules")
    return changes or ["no changes"]


def publish(ruleset: RuleSetRow, user: Any = None, note: str = "") -> RuleSetVersion:
    """Freeze the draft as the next version; routing uses it from the next lead on."""
    snapshot = draft_snapshot(ruleset)
    compile_snapshot(snapshot)  # refuse what the engine could not run
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
