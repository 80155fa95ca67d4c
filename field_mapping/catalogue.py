"""The CRM properties the mapping wizard offers: the lead object's and its associated objects', live.

One ``list_fields`` call per object type (HubSpot leads: leads, contacts, companies, deals), then
every path a rule may use (``"lead_source"``, ``"contacts.email"``, ``"contacts.companies.industry"``)
with the property's label, type and options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_integrations.core import registry
from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import CrmField
from crm_integrations.models import OrganizationIntegration

from .mapping import split_path
from .models import MAX_ASSOCIATION_HOPS
from .providers import provider_associations


@dataclass(frozen=True)
class PathChoice:
    """One property a rule can read, e.g. ``contacts.companies.industry`` (Industry, enumeration)."""

    path: str
    field: CrmField

    @property
    def via(self) -> str:
        """``"contacts → companies"`` for an associated object's property, ``""`` for the lead's own."""
        hops, _ = split_path(self.path)
        return " → ".join(hops)

    @property
    def description(self) -> str:
        parts = [self.field.label or self.field.name, self.field.type.value]
        if self.field.options:
            parts.append(f"{len(self.field.options)} options")
        if self.via:
            parts.append(f"via {self.via}")
        return " · ".join(parts)


@dataclass(frozen=True)
class PropertyCatalogue:
    """The lead object's fields and those of the objects it reaches (at most two hops)."""

    object_type: str
    association_paths: tuple[str, ...]
    fields: dict[str, tuple[CrmField, ...]]
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def lead_fields_known(self) -> bool:
        return self.object_type in self.fields

    # Templates get lists, never the dicts: Django's ``catalogue.fields.items`` looks the key up
    # first, and monday's lead object type is named "items".
    @property
    def field_groups(self) -> list[tuple[str, tuple[CrmField, ...]]]:
        """``(object type, its fields)`` pairs, lead object first."""
        return list(self.fields.items())

    @property
    def unavailable_kinds(self) -> list[tuple[str, str]]:
        """``(object type, why its fields could not be read)`` pairs."""
        return list(self.unavailable.items())

    def kind_at(self, association_path: str) -> str:
        """The object type an association path ends on (``""`` is the lead object)."""
        return association_path.rsplit(".", 1)[-1] if association_path else self.object_type

    def field_at(self, path: str) -> CrmField | None:
        hops, prop = split_path(path)
        kind = hops[-1] if hops else self.object_type
        return next((f for f in self.fields.get(kind, ()) if f.name == prop), None)

    def choices(self) -> list[PathChoice]:
        """Every path offered, the lead's own properties first, each object's sorted by label."""
        found = []
        for prefix in ("", *self.association_paths):
            for crm_field in sorted(self.fields.get(self.kind_at(prefix), ()), key=_label_key):
                path = f"{prefix}.{crm_field.name}" if prefix else crm_field.name
                found.append(PathChoice(path, crm_field))
        return found

    def as_json(self) -> dict[str, Any]:
        """``{object type: {property: {label, type, options}}}`` for the page's property hints."""
        return {
            kind: {
                f.name: {
                    "label": f.label,
                    "type": f.type.value,
                    "options": [[option.value, option.label] for option in f.options],
                }
                for f in fields
            }
            for kind, fields in self.fields.items()
        }


def _label_key(crm_field: CrmField) -> tuple[str, str]:
    return ((crm_field.label or crm_field.name).casefold(), crm_field.name)


def association_paths(provider: str, object_type: str) -> tuple[str, ...]:
    """Association paths from ``object_type``: one hop, then two (never back to an object passed)."""
    graph = provider_associations(provider) or {}
    paths: list[str] = []
    frontier: list[tuple[str, tuple[str, ...]]] = [("", (object_type,))]
    for _ in range(MAX_ASSOCIATION_HOPS):
        following = []
        for prefix, visited in frontier:
            for hop in sorted(graph.get(visited[-1], ())):
                if hop in visited:
                    continue
                path = f"{prefix}.{hop}" if prefix else hop
                paths.append(path)
                following.append((path, (*visited, hop)))
        frontier = following
    return tuple(paths)


def property_catalogue(connection: OrganizationIntegration, object_type: str) -> PropertyCatalogue:
    """The live properties of ``object_type`` and its associated objects (one call per object type).

    An object type the CRM refuses (unknown, or a scope not granted) is listed in ``unavailable``
    with the CRM's reason; auth, rate-limit and outage errors propagate (``CrmError``).
    """
    client = registry.get_client(connection)
    paths = association_paths(connection.provider, object_type)
    fields: dict[str, tuple[CrmField, ...]] = {}
    unavailable: dict[str, str] = {}
    for kind in dict.fromkeys([object_type, *(path.rsplit(".", 1)[-1] for path in paths)]):
        try:
            fields[kind] = tuple(client.list_fields(kind))
        except (InvalidRequest, NotFound) as error:
            unavailable[kind] = error.message
    return PropertyCatalogue(object_type, paths, fields, unavailable)
