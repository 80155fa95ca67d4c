"""Normalized data the provider contract speaks: frozen dataclasses, no provider shapes leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
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
    #: When the record was made in the CRM (the start of "created → owner written"); None if unknown.
    created_at: datetime | None = None
    associations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    associated: dict[str, tuple[CrmRecord, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PropertyChange:
    """One value a record's property took, and when (``PropertyHistory``: newest first).

    ``source`` says who wrote it as the CRM puts it (HubSpot: ``CRM_UI`` a user, ``API`` an app,
    ``WORKFLOW``, ``IMPORT``...); ``source_id`` names them when the CRM says (``userId:123``).
    """

    value: str
    changed_at: datetime
    source: str = ""
    source_id: str = ""


#: A record's property histories, by property name, each newest first.
PropertyHistory = dict[str, tuple[PropertyChange, ...]]


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
    is_queue: bool = False  # a queue/placeholder owner (HubSpot owner type QUEUE), not a person

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


@dataclass(frozen=True)
class BatchCreateResult:
    """Records a batch create made, and the inputs it could not (``RecordFailure.id`` names the input)."""

    created: tuple[CrmRecord, ...]
    failed: tuple[RecordFailure, ...] = ()


TASK_PRIORITIES = ("HIGH", "MEDIUM", "LOW")


@dataclass(frozen=True)
class FollowUpTask:
    """A to-do for a rep about one lead record (in the connection's lead object type)."""

    record_id: str
    owner_id: str  # the CRM owner id of the rep
    subject: str
    due_at: datetime  # tz-aware
    body: str = ""
    priority: str = "HIGH"  # one of TASK_PRIORITIES
    #: What the task is for (routing: its assignment), kept with the task so that
    #: ``CrmClient.find_follow_up_tasks`` finds it again after a create of unknown outcome.
    key: str = ""

    def __post_init__(self) -> None:
        if self.due_at.tzinfo is None or self.due_at.utcoffset() is None:
            raise ValueError("FollowUpTask.due_at must be timezone-aware.")
        object.__setattr__(self, "priority", self.priority.upper())
        if self.priority not in TASK_PRIORITIES:
            raise ValueError(f"FollowUpTask.priority must be one of {', '.join(TASK_PRIORITIES)}.")


@dataclass(frozen=True)
class CrmAccount:
    """A company (HubSpot) a lead can be matched to by its email or website domain."""

    id: str
    name: str
    domain: str  # lower-case, without "www." (``normalize_domain``); "" if none
    owner_id: str  # CRM owner id; "" if none


def normalize_domain(value: str | None) -> str:
    """``"https://WWW.Acme.com/about"`` -> ``"acme.com"``: lower-case, no scheme, path, port or ``www.``."""
    text = (value or "").strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    return text.removeprefix("www.")


@dataclass(frozen=True)
class CrmContact:
    """A person on a deal (a HubSpot contact)."""

    id: str
    email: str
    first_name: str = ""
    last_name: str = ""

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email


@dataclass(frozen=True)
class CrmDeal:
    """A deal (HubSpot deal) normalized, with its companies and contacts (primary first).

    ``record`` is the deal as read, with ``associated["companies"]`` and ``["contacts"]``: what a
    contract keeps as its snapshot. ``currency`` is an ISO 4217 code, "" when the CRM has none.
    """

    id: str
    name: str
    amount: Decimal | None
    currency: str
    stage: str
    pipeline: str
    owner_id: str
    updated_at: datetime | None
    companies: tuple[CrmAccount, ...]
    contacts: tuple[CrmContact, ...]
    record: CrmRecord


@dataclass(frozen=True)
class CrmFile:
    """A file attached to a CRM record, as the CRM declares it (nothing downloaded yet).

    ``url``, when set, is a signed download URL anyone holding it may use until ``expires_at``:
    a bearer credential, kept out of ``repr`` (and so out of logs and error messages).
    """

    id: str
    name: str  # with its extension, e.g. "Signed-order-form.pdf"
    content_type: str  # a MIME type from the extension; "application/octet-stream" when unknown
    size: int | None  # bytes, as declared by the CRM
    url: str = field(default="", repr=False)
    expires_at: datetime | None = None
    attached_at: datetime | None = None
