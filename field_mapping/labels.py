"""The CRM's words for canonical values: option labels ("Website" for ``WEBSITE``, "Hospital & health
care" for ``HOSPITAL_HEALTH_CARE``) and owner names ("Ann Lee" for ``70000100``).

Pure: ``value_labels`` takes the CRM's field definitions (``CrmClient.list_fields``) and owners
(``CrmClient.list_owners``) and says, per canonical field, which label each canonical value shows.
The result is kept on each ``FieldRule`` (``value_labels``, read again at most once a day by
``services.mapping_labels_refresh``), so pages that list leads read labels from the database and
never call the CRM; ``LabelBook`` applies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crm_integrations.core.types import CrmField, CrmOwner, FieldType

from .mapping import MappingSpec, RuleSpec, split_path
from .models import Outcome, Transform

#: {canonical field: {canonical value: label}}
Labels = dict[str, dict[str, str]]


def field_at(
    spec: MappingSpec, fields_by_object: Mapping[str, Iterable[CrmField]], path: str
) -> CrmField | None:
    """The CRM field a source path ends on (association hops name the object type), or None."""
    hops, prop = split_path(path)
    kind = hops[-1] if hops else spec.object_type
    return next((f for f in fields_by_object.get(kind, ()) if f.name == prop), None)


def crm_labels(crm_field: CrmField, owners: Iterable[CrmOwner] = ()) -> dict[str, str]:
    """CRM value -> label: the field's options; for an owner field also every owner's name."""
    labels = {option.value: option.label for option in crm_field.options if option.label}
    if crm_field.type == FieldType.OWNER:
        labels.update({owner.id: owner.name for owner in owners if owner.name})
    return labels


def rule_labels(rule: RuleSpec, crm: Mapping[str, str]) -> dict[str, str]:
    """Canonical value -> label for one rule, given its CRM field's labels (``crm_labels``).

    As is and default keep the CRM value, lower case folds it; a value map's target takes the label
    of the one CRM value that maps to it (a target several values map to, and the fallback, keep
    their own words: no single CRM label is right for them). Number and date values have none.
    """
    if rule.transform in (Transform.AS_IS, Transform.DEFAULT):
        return {value: label for value, label in crm.items() if label != value}
    if rule.transform == Transform.LOWER:
        return {value.lower(): label for value, label in crm.items() if label != value.lower()}
    if rule.transform == Transform.VALUE_MAP:
        sources: dict[str, list[str]] = {}
        for crm_value, target in (rule.options.get("map") or {}).items():
            sources.setdefault(str(target), []).append(str(crm_value))
        return {
            target: crm[values[0]]
            for target, values in sources.items()
            if len(values) == 1 and values[0] in crm and crm[values[0]] != target
        }
    return {}


def value_labels(
    spec: MappingSpec, fields_by_object: Mapping[str, Iterable[CrmField]], owners: Iterable[CrmOwner] = ()
) -> Labels:
    """``{canonical field: {canonical value: label}}`` for every rule whose property has labels."""
    owners = tuple(owners)
    found: Labels = {}
    for rule in spec.rules:
        crm_field = field_at(spec, fields_by_object, rule.source_path)
        if crm_field is None:
            continue
        labels = rule_labels(rule, crm_labels(crm_field, owners))
        if labels:
            found[str(rule.canonical_field)] = labels
    return found


def describe_settings(transform: str, options: Mapping[str, Any]) -> str:
    """A transform's settings in words: "WEBSITE → Web; any other value → Other", "when empty: Unknown"."""
    if transform == Transform.VALUE_MAP:
        # By CRM value: PostgreSQL's jsonb keeps no key order, so the order typed is not the order stored.
        pairs = [f"{crm_value} → {value}" for crm_value, value in sorted((options.get("map") or {}).items())]
        if "fallback" in options:
            pairs.append(f"any other value → {options['fallback']}")
        else:
            pairs.append("any other value is a mapping error")
        return "; ".join(pairs)
    if transform == Transform.DEFAULT:
        return f"when empty: {options.get('default', '')}"
    if transform == Transform.DATE and options.get("format"):
        return f"date format {options['format']}"
    return "—"


class LabelBook:
    """Shows canonical values in the CRM's words: ``book.show("industry", "HOSPITAL_HEALTH_CARE")``
    is "Hospital & health care"; a value with no label is shown as it is; status shows its outcome."""

    def __init__(self, labels: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.labels = labels or {}

    def label(self, field: str, value: Any) -> str | None:
        """The label of ``value``, or None when the CRM gives it none (or it is empty)."""
        if value in (None, ""):
            return None
        if field == "status":
            return Outcome(value).label if value in Outcome.values else None
        return self.labels.get(field, {}).get(str(value))

    def show(self, field: str, value: Any) -> str:
        """The label, else the value itself ("" when empty)."""
        if value in (None, ""):
            return ""
        return self.label(field, value) or str(value)
