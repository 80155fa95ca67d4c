"""Properties v3: properties with types, field types, options and groups; create properties and groups."""

from __future__ import annotations

from flask import Blueprint, Response

from .errors import api_error, not_found, validation_error
from .guard import guard, sandbox
from .http import bool_param, json_body, reply
from .object_types import ObjectType, object_type
from .property_defs import FIELD_TYPES, PropertyDef
from .state import Portal

blueprint = Blueprint("properties", __name__)


def _api(portal: Portal, otype: ObjectType, prop: PropertyDef) -> dict:
    return prop.to_api(portal.options_for(prop, otype.name))


@blueprint.get("/<object_type_key>")
def list_properties(object_type_key: str) -> Response:
    otype = object_type(object_type_key)
    portal = guard(otype.schema_read_scopes).portal
    archived = bool_param("archived")
    with sandbox().lock:
        items = [
            _api(portal, otype, p) for p in portal.properties[otype.name].values() if p.archived == archived
        ]
    return reply({"results": items})


@blueprint.get("/<object_type_key>/<property_name>")
def get_property(object_type_key: str, property_name: str) -> Response:
    otype = object_type(object_type_key)
    portal = guard(otype.schema_read_scopes).portal
    with sandbox().lock:
        prop = portal.properties[otype.name].get(property_name)
        if prop is None:
            raise not_found()
        return reply(_api(portal, otype, prop))


@blueprint.post("/<object_type_key>")
def create_property(object_type_key: str) -> Response:
    otype = object_type(object_type_key)
    portal = guard(otype.schema_write_scopes).portal
    body = json_body()
    name, prop_type, field_type = str(body.get("name", "")), body.get("type"), body.get("fieldType")
    if field_type not in FIELD_TYPES.get(prop_type, ()):
        raise validation_error(f"fieldType {field_type!r} is not valid for type {prop_type!r}.")
    options = tuple((str(o["value"]), str(o["label"])) for o in body.get("options") or [])
    if prop_type == "enumeration" and not options and field_type != "booleancheckbox":
        raise validation_error("Enumeration properties need options.")
    with sandbox().lock:
        known = portal.properties[otype.name]
        if name in known:
            raise api_error(409, "CONFLICT", f"A property named '{name}' already exists.")
        if body.get("groupName") not in portal.groups[otype.name]:
            raise validation_error(f"Property group {body.get('groupName')!r} does not exist.")
        prop = PropertyDef(
            name,
            str(body.get("label", name)),
            prop_type,
            field_type,
            body["groupName"],
            options=options,
            hubspot_defined=False,
            has_unique_value=bool(body.get("hasUniqueValue")),
            description=str(body.get("description", "")),
            display_order=int(body.get("displayOrder", -1)),
            created_ms=sandbox().clock.now_ms(),
        )
        known[name] = prop
        return reply(_api(portal, otype, prop), 201)


@blueprint.get("/<object_type_key>/groups")
def list_groups(object_type_key: str) -> Response:
    otype = object_type(object_type_key)
    portal = guard(otype.schema_read_scopes).portal
    with sandbox().lock:
        return reply({"results": list(portal.groups[otype.name].values())})


@blueprint.post("/<object_type_key>/groups")
def create_group(object_type_key: str) -> Response:
    otype = object_type(object_type_key)
    portal = guard(otype.schema_write_scopes).portal
    body = json_body()
    name = str(body.get("name", ""))
    with sandbox().lock:
        groups = portal.groups[otype.name]
        if name in groups:
            raise api_error(409, "CONFLICT", f"A property group named '{name}' already exists.")
        group = {
            "name": name,
            "label": str(body.get("label", name)),
            "displayOrder": int(body.get("displayOrder", -1)),
            "archived": False,
        }
        groups[name] = group
        return reply(group, 201)
