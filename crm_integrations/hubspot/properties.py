"""Properties v3: an object's fields with types and options, and the deal property our app writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import CrmField, FieldOption

from . import normalize
from .api import HubSpotApi
from .object_types import object_type

PROPERTIES = "/crm/v3/properties/{objectType}"
PROPERTY = "/crm/v3/properties/{objectType}/{propertyName}"
GROUPS = "/crm/v3/properties/{objectType}/groups"


@dataclass(frozen=True)
class PropertySpec:
    """A property to create when missing: with ``options`` an enumeration (select), else text."""

    name: str
    label: str
    group_name: str
    group_label: str
    options: tuple[FieldOption, ...] = ()
    description: str = ""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "groupName": self.group_name,
            "description": self.description,
            "type": "enumeration" if self.options else "string",
            "fieldType": "select" if self.options else "text",
        }
        if self.options:
            body["options"] = [
                {"label": option.label, "value": option.value, "displayOrder": index, "hidden": False}
                for index, option in enumerate(self.options)
            ]
        return body


def _is_conflict(error: InvalidRequest) -> bool:
    return error.status == 409


class PropertiesApi:
    def __init__(self, api: HubSpotApi) -> None:
        self.api = api

    def list_fields(self, kind: str) -> list[CrmField]:
        name = object_type(kind).name
        body = self.api.json(
            "GET", PROPERTIES, path_params={"objectType": name}, params={"archived": "false"}
        )
        return [normalize.field(name, item) for item in body.get("results") or []]

    def get_field(self, kind: str, property_name: str) -> CrmField:
        name = object_type(kind).name
        body = self.api.json("GET", PROPERTY, path_params={"objectType": name, "propertyName": property_name})
        return normalize.field(name, body)

    def ensure(self, kind: str, spec: PropertySpec) -> CrmField:
        """The property, created with its group when missing: one call when it exists, three when not.

        A 409 (someone created it meanwhile) counts as success. An existing property is returned
        as it is: its type and options are not changed behind an administrator's back.
        """
        name = object_type(kind).name
        try:
            return self.get_field(name, spec.name)
        except NotFound:
            pass
        group = {"name": spec.group_name, "label": spec.group_label}
        try:
            # A repeat after a 5xx is harmless: the group exists then, and a 409 counts as done.
            self.api.call("POST", GROUPS, path_params={"objectType": name}, json=group, idempotent=True)
        except InvalidRequest as error:
            if not _is_conflict(error):
                raise
        try:
            created = self.api.json(
                "POST", PROPERTIES, path_params={"objectType": name}, json=spec.body(), idempotent=True
            )
        except InvalidRequest as error:
            if not _is_conflict(error):
                raise
            return self.get_field(name, spec.name)
        return normalize.field(name, created)


def options_from(values: Sequence[FieldOption | tuple[str, str] | str]) -> tuple[FieldOption, ...]:
    """Options given as ``FieldOption``, ``(value, label)`` pairs or bare values (label = value)."""
    options = []
    for item in values:
        if isinstance(item, FieldOption):
            options.append(item)
        elif isinstance(item, str):
            options.append(FieldOption(value=item, label=item))
        else:
            options.append(FieldOption(value=str(item[0]), label=str(item[1])))
    return tuple(options)
