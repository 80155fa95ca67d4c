"""Pure mapping logic: a CRM record + a mapping spec -> canonical values and errors. No database writes.

A ``MappingSpec`` is a plain frozen copy of a ``FieldMapping`` (``MappingSpec.from_model``), so
everything here is testable without the database. ``map_record`` never raises on bad data: each
problem becomes a ``MappingError`` saying which field, which path, what value and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from crm_integrations.core.types import CrmRecord, Expand

from .models import REQUIRED_FIELDS, CanonicalField, Outcome, Transform

if TYPE_CHECKING:
    from .models import FieldMapping

TEXT_FIELDS = frozenset(CanonicalField) - {CanonicalField.AMOUNT, CanonicalField.STATUS}
AMOUNT_LIMIT = Decimal(10) ** 16  # Lead.amount: 18 digits, 2 after the point
CENTS = Decimal("0.01")


# -- paths ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    """Nothing at a path, and why (an association not fetched or empty, a property not on the record)."""

    reason: str

    def __bool__(self) -> bool:
        return False


def split_path(path: str) -> tuple[tuple[str, ...], str]:
    """``"contacts.companies.industry"`` -> ``(("contacts", "companies"), "industry")``."""
    *associations, prop = path.split(".")
    return tuple(associations), prop


def resolve(record: CrmRecord, path: str) -> Any:
    """The value at ``path`` on ``record``, following the first (primary) associated record per hop.

    Returns ``Missing(reason)`` when the path cannot be followed; a property the CRM returned
    empty (``None``) is a value, not ``Missing``.
    """
    associations, prop = split_path(path)
    current = record
    for name in associations:
        if name not in current.associated:
            return Missing(f"{name} were not fetched with {current.object_type} {current.id}")
        related = current.associated[name]
        if not related:
            ids = current.associations.get(name) or ()
            if ids:
                return Missing(
                    f"the {name} associated with {current.object_type} {current.id} "
                    f"({', '.join(ids)}) could not be read"
                )
            return Missing(f"{current.object_type} {current.id} has no associated {name}")
        current = related[0]
    if prop not in current.properties:
        return Missing(f"property '{prop}' is not on {current.object_type} {current.id}")
    return current.properties[prop]


def is_empty(value: Any) -> bool:
    return value is None or isinstance(value, Missing) or (isinstance(value, str) and not value.strip())


# -- transforms: one small function each; they raise TransformError(why) on a value they cannot use --


class TransformError(ValueError):
    """``why`` completes "<field>: <value> at <path> ..." (e.g. "is not a number")."""


_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def to_number(value: Any, options: Mapping[str, Any] | None = None) -> Decimal | None:
    """``"1,500.50"`` -> 1500.50, ``"1500"`` -> 1500, ``""`` -> None; ints, floats and Decimals pass.

    Commas are thousands separators only in groups of three ("1,5" is refused, not read as 15).
    """
    if isinstance(value, bool):
        raise TransformError("is not a number (a boolean)")
    if is_empty(value):  # a null property is empty, like ""
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace(" ", "").replace("_", "")
        if not text:
            return None
        if _GROUPED.match(text):
            text = text.replace(",", "")
        elif not _PLAIN.match(text):
            raise TransformError("is not a number")
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the patterns above only let numbers through
            raise TransformError("is not a number") from None
    if not number.is_finite():
        raise TransformError("is not a finite number")
    return number


def to_date(value: Any, options: Mapping[str, Any] | None = None) -> date | datetime | None:
    """ISO dates (``2026-01-06``) -> date; ISO datetimes (``...T09:12:33.120Z``) and epoch milliseconds
    (``1767690753120``, as HubSpot sends) -> aware UTC datetimes; ``options["format"]`` (strptime) first.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise TransformError("is not a date (a boolean)")
    text = str(value).strip()
    if not text:
        return None
    fmt = (options or {}).get("format")
    if fmt:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            pass
        else:
            return parsed.date() if not _has_time(fmt) else parsed.replace(tzinfo=UTC)
    if isinstance(value, int | float) or re.fullmatch(r"-?\d+", text):
        millis = value if isinstance(value, int | float) else int(text)
        try:
            return datetime.fromtimestamp(millis / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise TransformError("is not a date (epoch milliseconds out of range)") from None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        expected = f"ISO 8601, epoch milliseconds or {fmt}" if fmt else "ISO 8601 or epoch milliseconds"
        raise TransformError(f"is not a date ({expected})") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _has_time(fmt: str) -> bool:
    return any(code in fmt for code in ("%H", "%I", "%M", "%S", "%p", "%f", "%z", "%X", "%c", "%s"))


def to_lower(value: Any, options: Mapping[str, Any] | None = None) -> str | None:
    if is_empty(value):  # a null property is empty, not the text "none"
        return None
    text = str(value).strip()
    return text.lower() if text else None


def as_is(value: Any, options: Mapping[str, Any] | None = None) -> Any:
    return None if is_empty(value) else value


def map_value(value: Any, options: Mapping[str, Any] | None = None) -> Any:
    """Look ``value`` up in ``options["map"]`` (exact, then ignoring case and surrounding spaces);
    not found: ``options["fallback"]`` when one is set, else an error. Empty stays empty."""
    options = options or {}
    table: Mapping[str, Any] = options.get("map") or {}
    key = "" if value is None else str(value)
    if key in table:
        return table[key]
    if is_empty(value):
        return None
    folded = key.strip().casefold()
    for candidate, mapped in table.items():
        if str(candidate).strip().casefold() == folded:
            return mapped
    if "fallback" in options:
        return options["fallback"]
    raise TransformError("is not in the value map (and no fallback is set)")


def with_default(value: Any, options: Mapping[str, Any] | None = None) -> Any:
    """``value``, or ``options["default"]`` when it is empty or missing."""
    return (options or {}).get("default") if is_empty(value) else value


TRANSFORMS: dict[str, Callable[[Any, Mapping[str, Any] | None], Any]] = {
    Transform.AS_IS: as_is,
    Transform.LOWER: to_lower,
    Transform.NUMBER: to_number,
    Transform.DATE: to_date,
    Transform.VALUE_MAP: map_value,
    Transform.DEFAULT: with_default,
}


# -- the spec ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    canonical_field: str
    source_path: str
    transform: str = Transform.AS_IS
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MappingSpec:
    """A ``FieldMapping`` as plain data: the lead object, the rules, the status source and its table."""

    object_type: str
    rules: tuple[RuleSpec, ...] = ()
    status_source: str = ""
    status_map: Mapping[str, str] = field(default_factory=dict)
    status_default: str = ""

    @classmethod
    def from_model(cls, mapping: FieldMapping) -> MappingSpec:
        return cls(
            object_type=mapping.object_type,
            rules=tuple(
                RuleSpec(rule.canonical_field, rule.source_path, rule.transform, dict(rule.options or {}))
                for rule in mapping.rules.all()
            ),
            status_source=mapping.status_source,
            status_map={row.crm_value: row.outcome for row in mapping.status_rows.all()},
            status_default=mapping.status_default,
        )

    def rule_for(self, canonical_field: str) -> RuleSpec | None:
        return next((rule for rule in self.rules if rule.canonical_field == canonical_field), None)

    def paths(self) -> list[str]:
        """Every source path the spec reads (rules, then the status source)."""
        paths = [rule.source_path for rule in self.rules]
        if self.status_source:
            paths.append(self.status_source)
        return paths


@dataclass(frozen=True)
class MappingError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class MappingResult:
    """``errors`` put the lead in the "mapping error" state; ``warnings`` (an optional field with
    nothing to read, e.g. a contact with no company) are noted on the lead, which stays OK."""

    values: dict[str, Any]
    errors: list[MappingError]
    warnings: list[MappingError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# -- mapping a record ---------------------------------------------------------------------------------


def map_record(spec: MappingSpec, record: CrmRecord) -> MappingResult:
    """Canonical values of ``record`` under ``spec``; each problem is an error, the rest still maps.

    ``values`` holds every mapped field (None when empty or in error) and ``status`` (an
    ``Outcome`` value, or None). ``email`` is lower-cased; ``amount`` is a Decimal to the cent.
    Nothing to read at an optional field's path (models.OPTIONAL_FIELDS) is a warning, not an error.
    """
    values: dict[str, Any] = {}
    errors: list[MappingError] = []
    warnings: list[MappingError] = []
    for rule in spec.rules:
        if rule.canonical_field == CanonicalField.STATUS:
            errors.append(MappingError("status", "status: comes from the status source, not a field rule"))
            continue
        value, error, missing = _apply_rule(rule, record)
        values[rule.canonical_field] = value
        if error and missing and rule.canonical_field not in REQUIRED_FIELDS:
            warnings.append(MappingError(rule.canonical_field, error))
        elif error:
            errors.append(MappingError(rule.canonical_field, error))
    status, error = map_status(spec, record)
    values[CanonicalField.STATUS.value] = status
    if error:
        errors.append(MappingError("status", error))
    return MappingResult(values=values, errors=errors, warnings=warnings)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _apply_rule(rule: RuleSpec, record: CrmRecord) -> tuple[Any, str | None, bool]:
    """``(value, problem, missing)``: ``missing`` when the problem is that nothing was there to read."""
    name, path = rule.canonical_field, rule.source_path
    raw = resolve(record, path)
    if isinstance(raw, Missing) and rule.transform != Transform.DEFAULT:
        return None, f"{name}: nothing at {path}: {raw.reason}", True
    transform = TRANSFORMS.get(rule.transform)
    if transform is None:
        return None, f"{name}: unknown transform '{rule.transform}' for {path}", False
    try:
        return _coerce(name, transform(raw, rule.options)), None, False
    except TransformError as error:
        return None, f"{name}: {_describe(raw)} at {path} {error}", False


def _coerce(name: str, value: Any) -> Any:
    """The transformed value in the canonical column's type (amount: Decimal to the cent; text: str)."""
    if is_empty(value):
        return None
    if name == CanonicalField.AMOUNT:
        number = to_number(value)
        if number is None:
            return None
        if abs(number) >= AMOUNT_LIMIT:
            raise TransformError(f"is too large for an amount (at most {AMOUNT_LIMIT - 1})")
        return number.quantize(CENTS, rounding=ROUND_HALF_UP)
    if isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    else:
        text = str(value).strip()
    if name == CanonicalField.EMAIL:
        text = text.lower()
    return text or None


def map_status(spec: MappingSpec, record: CrmRecord) -> tuple[str | None, str | None]:
    """``(outcome, error)``: the status source's value through the status table, then the default."""
    if not spec.status_source:
        return None, "status: no status source is set in the mapping"
    path = spec.status_source
    raw = resolve(record, path)
    if isinstance(raw, Missing):
        if spec.status_default:
            return spec.status_default, None
        return None, f"status: nothing at {path}: {raw.reason}"
    key = "" if raw is None else str(raw).strip()
    outcome = spec.status_map.get(key)
    if outcome is None and key:
        folded = key.casefold()
        outcome = next(
            (o for value, o in spec.status_map.items() if value.strip().casefold() == folded), None
        )
    if outcome is not None:
        if outcome not in Outcome.values:
            return None, f"status: {key!r} at {path} maps to '{outcome}', which is not an outcome"
        return outcome, None
    if spec.status_default:
        return spec.status_default, None
    if not key:
        return None, f"status: no value at {path} (and no default outcome is set)"
    return None, f"status: {key!r} at {path} is not in the status mapping (and no default outcome is set)"


# -- what to fetch ---------------------------------------------------------------------------------------


def required_associations(spec: MappingSpec) -> list[str]:
    """Association paths the spec reads through, parents first: ``["contacts", "contacts.companies"]``."""
    found: dict[str, None] = {}
    for path in spec.paths():
        associations, _ = split_path(path)
        for depth in range(1, len(associations) + 1):
            found.setdefault(".".join(associations[:depth]), None)
    return sorted(found, key=lambda p: (p.count("."), p))


def properties_by_path(spec: MappingSpec) -> dict[str, tuple[str, ...]]:
    """Properties to read at each association path (``""``: the lead object itself)."""
    found: dict[str, dict[str, None]] = {"": {}}
    for association in required_associations(spec):
        found[association] = {}
    for path in spec.paths():
        associations, prop = split_path(path)
        found[".".join(associations)].setdefault(prop, None)
    return {path: tuple(props) for path, props in found.items()}


def properties_by_object(spec: MappingSpec) -> dict[str, tuple[str, ...]]:
    """Properties the spec reads per object type (an association is named by its object type)."""
    found: dict[str, dict[str, None]] = {}
    for path, props in properties_by_path(spec).items():
        kind = path.rsplit(".", 1)[-1] if path else spec.object_type
        bucket = found.setdefault(kind, {})
        for prop in props:
            bucket.setdefault(prop, None)
    return {kind: tuple(props) for kind, props in found.items()}


def expansions(spec: MappingSpec) -> tuple[Expand, ...]:
    """The ``Expand`` trees that fetch every associated record the spec reads, in one batch read:
    ``client.batch_read(spec.object_type, ids, properties=properties_by_path(spec)[""],
    associations=expansions(spec))``."""
    props = properties_by_path(spec)

    def children(parent: str) -> tuple[Expand, ...]:
        below = sorted(p for p in props if p and (p.rsplit(".", 1)[0] if "." in p else "") == parent)
        return tuple(Expand(p.rsplit(".", 1)[-1], props[p], children(p)) for p in below)

    return children("")


# -- raw records -----------------------------------------------------------------------------------------


def record_to_raw(record: CrmRecord) -> dict[str, Any]:
    """A JSON-ready copy of ``record`` and everything fetched with it (kept on the ``Lead``)."""
    return {
        "object_type": record.object_type,
        "id": record.id,
        "properties": dict(record.properties),
        "updated_at": record.updated_at.isoformat() if record.updated_at else None,
        "archived": record.archived,
        "associations": {name: list(ids) for name, ids in record.associations.items()},
        "associated": {
            name: [record_to_raw(item) for item in items] for name, items in record.associated.items()
        },
    }


def record_from_raw(raw: Mapping[str, Any]) -> CrmRecord:
    """The ``CrmRecord`` a ``record_to_raw`` dict came from (to map stored leads again)."""
    updated = raw.get("updated_at")
    return CrmRecord(
        object_type=str(raw["object_type"]),
        id=str(raw["id"]),
        properties=dict(raw.get("properties") or {}),
        updated_at=datetime.fromisoformat(updated) if updated else None,
        archived=bool(raw.get("archived", False)),
        associations={name: tuple(ids) for name, ids in (raw.get("associations") or {}).items()},
        associated={
            name: tuple(record_from_raw(item) for item in items)
            for name, items in (raw.get("associated") or {}).items()
        },
    )


def rule_specs(rules: Iterable[RuleSpec | Mapping[str, Any]]) -> tuple[RuleSpec, ...]:
    """Rules given as ``RuleSpec`` or dicts with the same keys."""
    return tuple(
        rule
        if isinstance(rule, RuleSpec)
        else RuleSpec(
            canonical_field=str(rule["canonical_field"]),
            source_path=str(rule["source_path"]),
            transform=str(rule.get("transform") or Transform.AS_IS),
            options=dict(rule.get("options") or {}),
        )
        for rule in rules
    )
