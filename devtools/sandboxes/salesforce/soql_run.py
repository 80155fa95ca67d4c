"""Running a parsed SOQL query (soql.py) against the org's records: fields checked against the schema
(``INVALID_FIELD``, ``INVALID_TYPE``), filters typed as Salesforce types them, relationship fields
(``Owner.Name``, the polymorphic ``Owner.Type``) resolved, rows shaped as the REST API returns them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from .errors import SfError, invalid_field, malformed_query
from .ids import normalise
from .schema import NUMBER_TYPES, Field, SObject, sobject
from .soql import BoolOp, Compare, In, Like, Literal, Not, Path, Query, datetime_ms
from .state import SandboxState

TEXT_TYPES = {"string", "email", "url", "phone", "picklist", "textarea", "combobox", "id", "reference"}
#: What a polymorphic relationship (``Lead.Owner``: a user or a queue) exposes: Salesforce's ``Name``.
NAME_FIELDS = ("Id", "Name", "Type", "Email", "FirstName", "LastName", "IsActive", "Username", "Title")
CDL_RESTRICTION = (
    "Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId "
    "or LinkedEntityId using the equals operator or multiple Id's using the IN operator."
)


def invalid_type(name: str) -> SfError:
    return SfError(
        400,
        "INVALID_TYPE",
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to "
        "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
        "appropriate names.",
    )


def _no_such_column(name: str, entity: str) -> SfError:
    return invalid_field(
        f"No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, be "
        "sure to append the '__c' after the custom field name. Please reference your WSDL or the describe "
        "call for the appropriate names."
    )


class Resolver:
    """Field paths of one object checked once and read from records many times."""

    def __init__(self, state: SandboxState, obj: SObject) -> None:
        self.state, self.obj = state, obj

    def check(self, path: Path) -> tuple[str, ...]:
        """The canonical names along ``path``; ``INVALID_FIELD`` when one does not exist."""
        obj: SObject | None = self.obj
        names: list[str] = []
        polymorphic = False
        for index, part in enumerate(path.parts):
            last = index == len(path.parts) - 1
            if polymorphic:
                match = next((name for name in NAME_FIELDS if name.lower() == part.lower()), None)
                if match is None or not last:
                    raise _no_such_column(part, "Name")
                names.append(match)
                continue
            assert obj is not None
            if last:
                found = obj.field(part)
                if found is None or (found.type == "base64" and len(path.parts) > 1):
                    raise _no_such_column(part, obj.name)
                names.append(found.name)
                continue
            relation = obj.relationship(part)
            if relation is None:
                raise invalid_field(
                    f"Didn't understand relationship '{part}' in field path. If you are attempting to use a "
                    "custom relationship, be sure to append the '__r' after the custom relationship name."
                )
            names.append(relation.name)  # the reference field that holds the id
            polymorphic = len(relation.reference_to) > 1
            obj = sobject(relation.reference_to[0])
        return tuple(names)

    def field_of(self, names: tuple[str, ...]) -> Field | None:
        """The final field's definition (None behind a polymorphic relationship)."""
        obj: SObject | None = self.obj
        for name in names[:-1]:
            relation = obj.fields[name] if obj else None
            if relation is None or len(relation.reference_to) > 1:
                return _NAME_TYPES.get(names[-1])
            obj = sobject(relation.reference_to[0])
        return obj.fields.get(names[-1]) if obj else None

    def value(self, record: dict[str, Any] | None, names: tuple[str, ...]) -> Any:
        for name in names[:-1]:
            if record is None:
                return None
            record = self.parent(record.get(name))
        if record is None:
            return None
        if names[-1] == "Type" and "Type" not in record and record.get("_object") is not None:
            return record["_object"]
        return record.get(names[-1])

    def parent(self, record_id: str | None) -> dict[str, Any] | None:
        if not record_id:
            return None
        found = self.state.find(record_id)
        if found is None:
            return None
        name, record = found
        if name == "Group":
            return {**record, "_object": "Queue" if record.get("Type") == "Queue" else "Group", "_type": name}
        return {**record, "_object": name, "_type": name}


_NAME_TYPES = {
    name: Field(name, kind)
    for name, kind in (
        ("Id", "id"), ("Name", "string"), ("Type", "string"), ("Email", "email"), ("FirstName", "string"),
        ("LastName", "string"), ("IsActive", "boolean"), ("Username", "string"), ("Title", "string"),
    )
}  # fmt: skip


def run(
    state: SandboxState, query: Query, version: str, *, include_deleted: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    """``(totalSize, rows)`` for a query, rows shaped for the REST answer of API ``version`` (their
    ``attributes.url``). Call under ``state.lock``."""
    obj = sobject(query.object_name)
    if obj is None:
        raise invalid_type(query.object_name)
    resolver = Resolver(state, obj)
    selected = [resolver.check(path) for path in query.fields]
    if obj.name == "ContentDocumentLink" and not _filters_cdl(query.where, resolver):
        raise malformed_query(CDL_RESTRICTION)
    keep = _predicate(state, resolver, query.where)
    records = [
        record
        for record in state.records[obj.name].values()
        if (include_deleted or not record.get("IsDeleted")) and keep(record)
    ]
    for order in reversed(query.order):
        records = _sorted(records, resolver, resolver.check(order.path), order.descending, order.nulls_last)
    records = records[query.offset :]
    if query.limit is not None:
        records = records[: query.limit]
    if query.count:
        return len(records), []
    return len(records), [_shape(resolver, obj.name, record, selected, version) for record in records]


def _filters_cdl(where: Any, resolver: Resolver) -> bool:
    conditions = where.operands if isinstance(where, BoolOp) and where.op == "AND" else (where,)
    for condition in conditions:
        if isinstance(condition, Compare | In) and not (isinstance(condition, In) and condition.negated):
            if isinstance(condition, Compare) and condition.op != "=":
                continue
            if resolver.check(condition.path)[-1] in ("ContentDocumentId", "LinkedEntityId"):
                return True
    return False


# --- filters ------------------------------------------------------------------------------------------
def _predicate(state: SandboxState, resolver: Resolver, node: Any) -> Callable[[dict[str, Any]], bool]:
    if node is None:
        return lambda record: True
    if isinstance(node, BoolOp):
        parts = [_predicate(state, resolver, operand) for operand in node.operands]
        if node.op == "AND":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)
    if isinstance(node, Not):
        inner = _predicate(state, resolver, node.operand)
        return lambda record: not inner(record)
    names = resolver.check(node.path)
    definition = resolver.field_of(names) or Field(names[-1], "string")
    if isinstance(node, Like):
        if definition.type not in TEXT_TYPES:
            raise invalid_field(f"invalid operator on {definition.type} field: {node.path.text}")
        pattern = _like(node.pattern)
        return lambda record: (
            (value := resolver.value(record, names)) is not None and bool(pattern.match(str(value)))
        )
    if isinstance(node, In):
        literals = node.values if node.subquery is None else _subquery_values(state, node.subquery)
        wanted = {_key(definition, _checked(definition, literal, node.path)) for literal in literals}
        negated = node.negated
        return lambda record: (_key(definition, resolver.value(record, names)) in wanted) != negated
    assert isinstance(node, Compare)
    target = _checked(definition, _quoted_datetime(state, definition, node.value), node.path)
    compare = _COMPARE[node.op]
    if target is None:
        if node.op not in ("=", "!="):
            raise malformed_query(f"invalid operator for null: {node.op}")
        return lambda record: (resolver.value(record, names) is None) == (node.op == "=")
    key = _key(definition, target)
    return lambda record: _matches(compare, _key(definition, resolver.value(record, names)), key, node.op)


def _matches(compare: Callable[[Any, Any], bool], value: Any, target: Any, op: str) -> bool:
    if value is None:
        return op == "!="
    try:
        return compare(value, target)
    except TypeError:
        return False


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _quoted_datetime(state: SandboxState, definition: Field, literal: Literal) -> Literal:
    """With ``quoted_datetime_literals``, ``'2026-11-20T10:00:00Z'`` reads as the unquoted datetime."""
    if state.config.quoted_datetime_literals and definition.type == "datetime" and literal.kind == "string":
        try:
            return Literal("datetime", datetime_ms(literal.value))
        except ValueError:
            return literal
    return literal


def _checked(definition: Field, literal: Literal, path: Path) -> Any:
    """The literal's value once it fits the field's type (Salesforce's INVALID_FIELD messages otherwise)."""
    kind, type_ = literal.kind, definition.type
    if kind == "null":
        return None
    expected = {
        "datetime": ("datetime", "dateTime and should not be enclosed in quotes"),
        "date": ("date", "date and should not be enclosed in quotes"),
        "boolean": ("boolean", "boolean and should not be enclosed in quotes"),
    }
    if type_ in expected and kind != expected[type_][0]:
        raise invalid_field(
            f"value of filter criterion for field '{path.parts[-1]}' must be of type {expected[type_][1]}"
        )
    if type_ in NUMBER_TYPES and kind != "number":
        raise invalid_field(
            f"value of filter criterion for field '{path.parts[-1]}' must be of type double "
            "and should not be enclosed in quotes"
        )
    if type_ in TEXT_TYPES and kind != "string":
        raise invalid_field(
            f"value of filter criterion for field '{path.parts[-1]}' must be of type string and should be "
            "enclosed in quotes"
        )
    return literal.value


def _key(definition: Field, value: Any) -> Any:
    """What values compare as: ids in their 18-character form, text without case, datetimes as ms."""
    if value is None:
        return None
    if definition.type in ("id", "reference"):
        return normalise(str(value)).lower()
    if definition.type in TEXT_TYPES:
        return str(value).lower()
    if definition.type == "datetime":
        return value if isinstance(value, int) else _stored_ms(value)
    return value


@lru_cache(maxsize=65536)
def _stored_ms(text: str) -> int:
    return datetime_ms(text)


def _like(pattern: str) -> re.Pattern[str]:
    parts = ("." if char == "_" else ".*" if char == "%" else re.escape(char) for char in pattern)
    return re.compile("".join(parts) + r"\Z", re.IGNORECASE | re.DOTALL)


def _subquery_values(state: SandboxState, subquery: Query) -> Iterable[Literal]:
    obj = sobject(subquery.object_name)
    if obj is None:
        raise invalid_type(subquery.object_name)
    resolver = Resolver(state, obj)
    names = resolver.check(subquery.fields[0])
    keep = _predicate(state, resolver, subquery.where)
    rows = [
        record for record in state.records[obj.name].values() if not record.get("IsDeleted") and keep(record)
    ]
    return [Literal("string", value) for row in rows if (value := resolver.value(row, names)) is not None]


# --- ordering and shaping ----------------------------------------------------------------------------------
def _sorted(
    records: list[dict[str, Any]],
    resolver: Resolver,
    names: tuple[str, ...],
    descending: bool,
    nulls_last: bool,
) -> list[dict[str, Any]]:
    definition = resolver.field_of(names) or Field(names[-1], "string")
    present, missing = [], []
    for record in records:
        (missing if resolver.value(record, names) is None else present).append(record)
    present.sort(key=lambda record: _key(definition, resolver.value(record, names)), reverse=descending)
    return present + missing if nulls_last else missing + present


def _shape(
    resolver: Resolver,
    object_name: str,
    record: dict[str, Any],
    selected: list[tuple[str, ...]],
    version: str,
) -> dict[str, Any]:
    row: dict[str, Any] = {"attributes": attributes(object_name, record["Id"], version)}
    for names in selected:
        _place(resolver, row, record, names, version)
    return row


def _place(
    resolver: Resolver,
    row: dict[str, Any],
    record: dict[str, Any] | None,
    names: tuple[str, ...],
    version: str,
) -> None:
    if len(names) == 1:
        value = None if record is None else resolver.value(record, names)
        row[names[0]] = value
        return
    relation_field, rest = names[0], names[1:]
    relation_name = relation_field[:-2] if relation_field.endswith("Id") else relation_field
    parent = resolver.parent(record.get(relation_field)) if record else None
    if parent is None:
        row.setdefault(relation_name, None)
        return
    nested = row.get(relation_name)
    if nested is None:
        shown_type = "Name" if _is_polymorphic(resolver, relation_field) else parent["_type"]
        nested = {"attributes": attributes(shown_type, parent["Id"], version, parent["_type"])}
        row[relation_name] = nested
    if len(rest) == 1:
        nested[rest[0]] = resolver.value(parent, rest)
    else:
        _place(resolver, nested, parent, rest, version)


def _is_polymorphic(resolver: Resolver, relation_field: str) -> bool:
    definition = resolver.obj.fields.get(relation_field)
    return definition is not None and len(definition.reference_to) > 1


def attributes(type_: str, record_id: str, version: str, url_type: str | None = None) -> dict[str, str]:
    return {"type": type_, "url": f"/services/data/v{version}/sobjects/{url_type or type_}/{record_id}"}
