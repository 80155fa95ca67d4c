"""Normalized data the provider contract speaks: frozen dataclasses, no provider shapes leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class CrmRecord:
    """One CRM object (a HubSpot lead/contact/company/deal, a monday item) with chosen properties.

    ``associations`` maps an associated object type to the ids of its records, and
    ``associated`` holds those records when they were fetched along (cross-object reads).
    """

    object_type: str
    id: str
    properties: dict[str, Any]
    updated_at: datetime | None = None
    archived: bool = False
    associations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    associated: dict[str, tuple[CrmRecord, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Expand:
    """A cross-object read: attach the ``object_type`` records associated with each record, read
    with ``properties`` (empty: the provider's defaults), each expanded in turn by ``expand``.

    E.g. a lead's contact with the contact's company: ``Expand("contacts", ("email",),
    (Expand("companies", ("name", "industry")),))``. Providers without associations ignore it.
    """

    object_type: str
    properties: tuple[str, ...] = ()
    expand: tuple[Expand, ...] = ()


@dataclass(frozen=True)
class ChangedRecords:
    """A page of records changed since a cursor; store ``next_cursor`` only once they are stored."""

    records: tuple[CrmRecord, ...]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True)
class CrmOwner:
    """Someone records can be assigned to: a HubSpot owner, a monday user, a Salesforce user."""

    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    active: bool = True
    user_id: str | None = None
    teams: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    ENUMERATION = "enumeration"
    OWNER = "owner"
    OTHER = "other"


@dataclass(frozen=True)
class FieldOption:
    value: str
    label: str


@dataclass(frozen=True)
class CrmField:
    """A property/column the mapping wizard can pick, with its type and options."""

    object_type: str
    name: str
    label: str
    type: FieldType
    provider_type: str = ""
    options: tuple[FieldOption, ...] = ()
    read_only: bool = False
    group: str = ""


@dataclass(frozen=True)
class RecordUpdate:
    """Properties to write on one record (owner, status, any mapped property)."""

    id: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class RecordFailure:
    id: str
    message: str
    code: str = ""


@dataclass(frozen=True)
class BatchUpdateResult:
    updated: tuple[CrmRecord, ...]
    failed: tuple[RecordFailure, ...] = ()
