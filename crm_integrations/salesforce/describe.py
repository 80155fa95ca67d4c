"""Fields for the mapping wizard from ``describe``: types, picklist labels and values, writability.

``OwnerId`` is offered as an owner field with the org's users and queues as options (a lead's owner
may be a queue). Relationship fields (``Owner.Type``) are read with every lead but not offered: a
dotted path in a mapping names an associated object (field_mapping/mapping.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crm_integrations.core.types import CrmField, CrmOwner, FieldOption, FieldType

from .api import SalesforceApi
from .normalize import sobject

DESCRIBE = "/services/data/{version}/sobjects/{sobject}/describe"
TYPES = {
    "boolean": FieldType.BOOLEAN,
    "currency": FieldType.NUMBER,
    "double": FieldType.NUMBER,
    "int": FieldType.NUMBER,
    "long": FieldType.NUMBER,
    "percent": FieldType.NUMBER,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "picklist": FieldType.ENUMERATION,
    "multipicklist": FieldType.ENUMERATION,
    "string": FieldType.STRING,
    "textarea": FieldType.STRING,
    "email": FieldType.STRING,
    "phone": FieldType.STRING,
    "url": FieldType.STRING,
    "id": FieldType.STRING,
    "reference": FieldType.STRING,
}


def _options(field: Mapping[str, Any]) -> tuple[FieldOption, ...]:
    return tuple(
        FieldOption(str(item["value"]), str(item.get("label") or item["value"]))
        for item in field.get("picklistValues") or []
        if isinstance(item, Mapping) and item.get("value") and item.get("active", True)
    )


def _field(kind: str, field: Mapping[str, Any], owners: Sequence[FieldOption]) -> CrmField:
    name = str(field["name"])
    provider_type = str(field.get("type") or "")
    is_owner = name == "OwnerId"
    return CrmField(
        object_type=kind,
        name=name,
        label=str(field.get("label") or name),
        type=FieldType.OWNER if is_owner else TYPES.get(provider_type, FieldType.OTHER),
        provider_type=provider_type,
        options=tuple(owners) if is_owner else _options(field),
        read_only=not field.get("updateable", False),
    )


def list_fields(api: SalesforceApi, kind: str, owners: Sequence[CrmOwner]) -> list[CrmField]:
    body = api.json("GET", DESCRIBE, path_params={"sobject": sobject(kind)}) or {}
    owner_options = [FieldOption(owner.id, owner.name or owner.id) for owner in owners]
    fields = [_field(kind, item, owner_options) for item in body.get("fields") or [] if item.get("name")]
    return fields
