"""The CRM object types the sandbox serves, with their ids, scopes and default properties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import api_error


@dataclass(frozen=True)
class ObjectType:
    name: str  # path name, e.g. "contacts"
    type_id: str  # object type id, e.g. "0-1"
    singular: str  # "contact": association names, classic webhook prefixes, error messages
    read_scopes: frozenset[str]  # any one of these grants reading
    write_scopes: frozenset[str]
    schema_read_scopes: frozenset[str]
    schema_write_scopes: frozenset[str]
    default_properties: tuple[str, ...]
    modified_property: str  # "hs_lastmodifieddate"; contacts use "lastmodifieddate"
    id_base: int  # first id handed out in a portal
    classic_webhooks: bool  # contact.*, company.*, deal.* exist; others only as generic object.*
    text_properties: tuple[str, ...]  # searched by the free-text ``query``

    @property
    def always_returned(self) -> tuple[str, ...]:
        """HubSpot returns these even when ``properties=`` names others."""
        return ("createdate", self.modified_property, "hs_object_id")


def _scopes(*names: str) -> frozenset[str]:
    return frozenset(names)


def _crm(kind: str) -> tuple[frozenset[str], frozenset[str]]:
    return _scopes(f"crm.objects.{kind}.read"), _scopes(f"crm.objects.{kind}.write")


CONTACT_READ, CONTACT_WRITE = _crm("contacts")
CONTACT_SCHEMA_READ = CONTACT_READ | _scopes("crm.schemas.contacts.read")
CONTACT_SCHEMA_WRITE = _scopes("crm.schemas.contacts.write")


def _standard(name: str, type_id: str, singular: str, **details: Any) -> ObjectType:
    """An object type with its own ``crm.objects.<name>.*`` and ``crm.schemas.<name>.*`` scopes."""
    read, write = _crm(name)
    return ObjectType(
        name=name,
        type_id=type_id,
        singular=singular,
        read_scopes=read,
        write_scopes=write,
        schema_read_scopes=read | _scopes(f"crm.schemas.{name}.read"),
        schema_write_scopes=_scopes(f"crm.schemas.{name}.write"),
        **details,
    )


def _engagement(name: str, type_id: str, singular: str, **details: Any) -> ObjectType:
    """Notes are gated by the contacts scopes (crm-notes-v3.json); tasks too, or by their own scopes."""
    read, write = _crm(name)
    return ObjectType(
        name=name,
        type_id=type_id,
        singular=singular,
        read_scopes=CONTACT_READ | read,
        write_scopes=CONTACT_WRITE | write,
        schema_read_scopes=CONTACT_SCHEMA_READ,
        schema_write_scopes=CONTACT_SCHEMA_WRITE,
        **details,
    )


OBJECT_TYPES: tuple[ObjectType, ...] = (
    _standard(
        "contacts", "0-1", "contact",
        default_properties=("firstname", "lastname", "email"),
        modified_property="lastmodifieddate",
        id_base=1000001,
        classic_webhooks=True,
        text_properties=("firstname", "lastname", "email", "phone", "company"),
    ),
    _standard(
        "companies", "0-2", "company",
        default_properties=("name", "domain"),
        modified_property="hs_lastmodifieddate",
        id_base=2000001,
        classic_webhooks=True,
        text_properties=("name", "domain", "website", "phone"),
    ),
    _standard(
        "deals", "0-3", "deal",
        default_properties=("dealname", "amount", "closedate", "pipeline", "dealstage"),
        modified_property="hs_lastmodifieddate",
        id_base=3000001,
        classic_webhooks=True,
        text_properties=("dealname",),
    ),
    _standard(
        "leads", "0-136", "lead",
        default_properties=(),
        modified_property="hs_lastmodifieddate",
        id_base=4000001,
        classic_webhooks=False,  # leads only have the generic object.* subscriptions
        text_properties=("hs_lead_name",),
    ),
    _engagement(
        "notes", "0-46", "note",
        default_properties=("hs_timestamp", "hs_note_body"),
        modified_property="hs_lastmodifieddate",
        id_base=5000001,
        classic_webhooks=False,
        text_properties=("hs_note_body",),
    ),
    _engagement(
        "tasks", "0-27", "task",
        default_properties=("hs_task_subject", "hs_task_status", "hs_timestamp"),
        modified_property="hs_lastmodifieddate",
        id_base=6000001,
        classic_webhooks=False,
        text_properties=("hs_task_subject", "hs_task_body"),
    ),
)  # fmt: skip

_BY_KEY: dict[str, ObjectType] = {}
for _type in OBJECT_TYPES:
    for _key in (_type.name, _type.type_id, _type.singular):
        _BY_KEY[_key] = _type


def find_object_type(key: str) -> ObjectType | None:
    """``"contacts"``, ``"contact"``, ``"CONTACTS"`` or ``"0-1"`` -> the contacts type; None if unknown."""
    return _BY_KEY.get(key.lower())


def object_type(key: str) -> ObjectType:
    """Like :func:`find_object_type` but answers HubSpot's 400 for an unknown type."""
    found = find_object_type(key)
    if found is None:
        raise api_error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {key}")
    return found


OTHER_SCOPES = frozenset(
    {
        "oauth",
        "crm.objects.owners.read",
        "automation",
        "files",
        "files.read",
        "files.write",
        "files.ui_hidden.read",
    }
)


def all_scopes() -> frozenset[str]:
    scopes: set[str] = set(OTHER_SCOPES)
    for item in OBJECT_TYPES:
        scopes |= item.read_scopes | item.write_scopes | item.schema_read_scopes | item.schema_write_scopes
    return frozenset(scopes)
