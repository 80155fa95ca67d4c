"""Check a mapping against the CRM's current fields, explaining every problem in words.

``validate_mapping`` is pure: it takes the fields the CRM lists per object type (from
``CrmClient.list_fields``, see ``selectors.fields_for_spec``) and never calls anything itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from crm_integrations.core.types import CrmField, FieldType

from .mapping import MappingSpec, RuleSpec, TransformError, split_path, to_date, to_number
from .models import REQUIRED_FIELDS, CanonicalField, Outcome, Transform, path_problem

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a mapping: ``field`` (a canonical field or "status"), the ``path`` it
    concerns, a stable ``code``, a sentence for people, and ``severity`` ("error" or "warning")."""

    field: str
    path: str
    code: str
    message: str
    severity: str = ERROR


def validate_mapping(
    spec: MappingSpec,
    fields_by_object: Mapping[str, Iterable[CrmField]],
    *,
    associations: Mapping[str, Collection[str]] | None = None,
) -> list[Problem]:
    """Every problem of ``spec`` against the CRM's fields (``{object type: [CrmField, ...]}``).

    ``associations`` (``{object type: {association, ...}}``, the provider's: field_mapping/providers.py)
    says which hops exist; without it, a hop is supported when the target's fields were given.
    """
    fields = {kind: {f.name: f for f in items} for kind, items in fields_by_object.items()}
    checker = _Checker(spec, fields, associations)
    for rule in spec.rules:
        checker.rule(rule)
    checker.status()
    checker.required()
    return checker.problems


class _Checker:
    def __init__(
        self,
        spec: MappingSpec,
        fields: dict[str, dict[str, CrmField]],
        associations: Mapping[str, Collection[str]] | None,
    ) -> None:
        self.spec, self.fields, self.associations = spec, fields, associations
        self.problems: list[Problem] = []

    def add(self, name: str, path: str, code: str, message: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(name, path, code, f"{name}: {message}", severity))

    # -- paths --------------------------------------------------------------------------------------

    def field_at(self, name: str, path: str) -> CrmField | None:
        """The ``CrmField`` at the end of ``path``, or None after adding the problem that stops it."""
        problem = path_problem(path)
        if problem:
            self.add(name, path, "invalid_path", problem)
            return None
        hops, prop = split_path(path)
        kind = self.spec.object_type
        for hop in hops:
            if not self.hop_supported(kind, hop):
                self.add(
                    name,
                    path,
                    "unsupported_association",
                    f"{path}: the association '{hop}' from {kind} is not supported",
                )
                return None
            kind = hop
        known = self.fields.get(kind)
        if known is None and not hops:
            self.add(
                name, path, "unknown_object", f"{path}: the CRM listed no fields for the lead object {kind}"
            )
            return None
        if known is None:
            self.add(
                name,
                path,
                "fields_unavailable",
                f"{path}: the fields of {kind} were not listed, so '{prop}' cannot be checked",
                WARNING,
            )
            return None
        found = known.get(prop)
        if found is None:
            self.add(name, path, "unknown_property", f"{path}: property '{prop}' does not exist on {kind}")
        return found

    def hop_supported(self, kind: str, hop: str) -> bool:
        if self.associations is not None:
            return hop in self.associations.get(kind, ())
        return hop in self.fields and hop != kind

    # -- rules --------------------------------------------------------------------------------------

    def rule(self, rule: RuleSpec) -> None:
        name, path = rule.canonical_field, rule.source_path
        if name not in CanonicalField.values:
            self.add(name, path, "unknown_field", f"'{name}' is not a canonical field")
            return
        if name == CanonicalField.STATUS:
            self.add(
                name,
                path,
                "status_rule",
                "status is read from the status source through the status mapping, not a field rule",
            )
            return
        if rule.transform not in Transform.values:
            self.add(name, path, "unknown_transform", f"'{rule.transform}' is not a transform")
            return
        if not self.options_ok(rule):
            return
        crm_field = self.field_at(name, path)
        if crm_field is None:
            return
        transform = rule.transform
        if name == CanonicalField.AMOUNT and transform in (Transform.AS_IS, Transform.LOWER):
            transform = Transform.NUMBER  # the amount column holds numbers whatever the transform
        if transform == Transform.NUMBER:
            self.convertible(name, path, crm_field, "number", _number_ok, _NOT_NUMBERS)
        elif transform == Transform.DATE:
            self.convertible(name, path, crm_field, "date", _date_ok, _NOT_DATES)
        elif transform == Transform.VALUE_MAP:
            self.value_map_keys(name, path, crm_field, rule.options.get("map") or {})
            if name == CanonicalField.AMOUNT:
                self.amount_targets(path, rule)

    def options_ok(self, rule: RuleSpec) -> bool:
        name, path, options = rule.canonical_field, rule.source_path, rule.options
        if not isinstance(options, Mapping):
            self.add(name, path, "invalid_options", "the options must be a JSON object")
            return False
        if rule.transform == Transform.VALUE_MAP and not isinstance(options.get("map"), Mapping):
            self.add(name, path, "invalid_options", 'the value map needs {"map": {crm value: value}}')
            return False
        if rule.transform == Transform.DEFAULT and "default" not in options:
            self.add(name, path, "invalid_options", 'the default transform needs {"default": value}')
            return False
        if rule.transform == Transform.DATE and "format" in options:
            fmt = options["format"]
            if not isinstance(fmt, str) or "%" not in fmt:
                self.add(name, path, "invalid_options", f"the date format {fmt!r} is not a strptime format")
                return False
        return True

    def convertible(
        self,
        name: str,
        path: str,
        crm_field: CrmField,
        what: str,
        ok: Callable[[object], bool],
        refused: frozenset[FieldType],
    ) -> None:
        kind = f"{crm_field.object_type}.{crm_field.name}"
        if crm_field.type in refused:
            self.add(
                name,
                path,
                "incompatible_transform",
                f"{path}: a {crm_field.type.value} property ({kind}) cannot convert to a {what}",
            )
            return
        if crm_field.type == FieldType.ENUMERATION and crm_field.options:
            bad = [option.value for option in crm_field.options if not ok(option.value)]
            if bad:
                self.add(
                    name,
                    path,
                    "incompatible_transform",
                    f"{path}: the options of {kind} are not all {what}s "
                    f"({', '.join(repr(v) for v in bad[:5])}{', ...' if len(bad) > 5 else ''})",
                )

    def value_map_keys(self, name: str, path: str, crm_field: CrmField, table: Mapping[str, object]) -> None:
        if crm_field.type == FieldType.BOOLEAN:
            allowed = {"true", "false"}
        elif crm_field.options and crm_field.type in (FieldType.ENUMERATION, FieldType.OWNER):
            allowed = {option.value for option in crm_field.options}
        else:
            return
        unknown = sorted(str(key) for key in table if str(key) not in allowed and str(key) != "")
        for key in unknown:
            self.add(
                name,
                path,
                "unknown_option",
                f"{path}: the value map key {key!r} is not an option of "
                f"{crm_field.object_type}.{crm_field.name} ({_options_text(allowed)})",
            )

    def amount_targets(self, path: str, rule: RuleSpec) -> None:
        targets = [*(rule.options.get("map") or {}).values()]
        if "fallback" in rule.options:
            targets.append(rule.options["fallback"])
        for target in targets:
            if target not in (None, "") and not _number_ok(target):
                self.add(
                    "amount",
                    path,
                    "incompatible_transform",
                    f"{path}: the mapped value {target!r} is not a number",
                )

    # -- status ---------------------------------------------------------------------------------------

    def status(self) -> None:
        spec, path = self.spec, self.spec.status_source
        for value, outcome in spec.status_map.items():
            if outcome not in Outcome.values:
                self.add(
                    "status",
                    path,
                    "unknown_outcome",
                    f"{value!r} maps to {outcome!r}, not one of {', '.join(Outcome.values)}",
                )
        if spec.status_default and spec.status_default not in Outcome.values:
            self.add(
                "status",
                path,
                "unknown_outcome",
                f"the default outcome {spec.status_default!r} is not an outcome",
            )
        if not path:
            return  # reported by required()
        crm_field = self.field_at("status", path)
        if crm_field is None or not crm_field.options:
            return
        options = {option.value: option.label for option in crm_field.options}
        kind = f"{crm_field.object_type}.{crm_field.name}"
        for value in spec.status_map:
            if value not in options:
                self.add(
                    "status",
                    path,
                    "unknown_status_value",
                    f"{value!r} is not an option of {kind} ({_options_text(options)})",
                )
        if not spec.status_default:
            for value, label in options.items():
                if value not in spec.status_map:
                    self.add(
                        "status",
                        path,
                        "unmapped_status_value",
                        f"{kind} value {value!r} ({label}) has no outcome and there is no default: "
                        "leads with it will be in error",
                        WARNING,
                    )

    def required(self) -> None:
        mapped = {rule.canonical_field for rule in self.spec.rules}
        for name in REQUIRED_FIELDS:
            missing = not self.spec.status_source if name == CanonicalField.STATUS else name not in mapped
            if missing:
                where = "no status source is set" if name == CanonicalField.STATUS else "no rule feeds it"
                self.add(name, "", "required_unmapped", f"is required but {where}")


_NOT_NUMBERS = frozenset({FieldType.BOOLEAN, FieldType.DATE, FieldType.DATETIME})
_NOT_DATES = frozenset({FieldType.BOOLEAN, FieldType.OWNER})


def _number_ok(value: object) -> bool:
    try:
        return isinstance(to_number(value), Decimal)
    except TransformError:
        return False


def _date_ok(value: object) -> bool:
    try:
        return to_date(value) is not None
    except TransformError:
        return False


def _options_text(values: Iterable[str]) -> str:
    shown = sorted(values)
    text = ", ".join(shown[:12])
    return f"options: {text}{', ...' if len(shown) > 12 else ''}"
