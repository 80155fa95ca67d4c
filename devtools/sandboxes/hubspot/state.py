"""The sandbox's in-memory world: portals with their records, and the shared services around them.

Every read or write of portal data happens under ``SandboxState.lock``.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock
from ..requestlog import RequestLog
from .association_store import AssociationStore
from .config import SandboxConfig
from .errors import api_error
from .faults import FaultInjector
from .property_defs import DYNAMIC_OWNER, DYNAMIC_PIPELINE, DYNAMIC_STAGE, PropertyDef
from .ratelimit import RateLimiter
from .timeutil import iso
from .tokens import TokenStore


@dataclass
class HistoryEntry:
    value: str
    timestamp_ms: int
    source_type: str
    source_id: str | None


@dataclass
class Record:
    id: int
    object_type: str
    properties: dict[str, str]
    created_ms: int
    updated_ms: int
    history: dict[str, list[HistoryEntry]] = field(default_factory=dict)
    archived: bool = False
    archived_ms: int | None = None


@dataclass(frozen=True)
class ChangeSource:
    """Who wrote: ``API`` (an app through the API), ``CRM_UI`` (a user in HubSpot), ``IMPORT`` (seeding)."""

    source_type: str
    source_id: str | None = None


API_SOURCE = ChangeSource("API")
IMPORT_SOURCE = ChangeSource("IMPORT")


@dataclass(frozen=True)
class RecordChange:
    portal_id: int
    object_type: str
    object_id: int
    kind: str  # "creation", "propertyChange", "deletion"
    occurred_ms: int
    source: ChangeSource
    property_name: str | None = None
    property_value: str | None = None


@dataclass
class Owner:
    id: int
    user_id: int
    email: str
    first_name: str
    last_name: str
    created_ms: int
    type: str = "PERSON"
    teams: list[dict[str, Any]] = field(default_factory=list)
    archived: bool = False  # a deactivated user

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": str(self.id),
            "email": self.email,
            "type": self.type,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userIdIncludingInactive": self.user_id,
            "createdAt": iso(self.created_ms),
            "updatedAt": iso(self.created_ms),
            "archived": self.archived,
            "teams": self.teams,
        }
        if not self.archived and self.type == "PERSON":
            body["userId"] = self.user_id
        return body


@dataclass(frozen=True)
class GeneratedBytes:
    """Deterministic file bytes (``head`` + seeded filler + ``tail``), so a file is stored as this recipe."""

    seed: str
    head: bytes
    size: int
    tail: bytes = b""

    def __call__(self) -> bytes:
        filler = random.Random(self.seed).randbytes(self.size - len(self.head) - len(self.tail))
        return self.head + filler + self.tail


@dataclass
class StoredFile:
    id: int
    name: str
    extension: str
    type: str  # IMG, DOCUMENT, AUDIO, MOVIE, OTHER
    size: int
    created_ms: int
    make_content: Callable[[], bytes]
    access: str = "HIDDEN_PRIVATE"  # CRM attachments live in hidden storage
    _content: bytes | None = None

    def content(self) -> bytes:
        if self._content is None:
            self._content = self.make_content()
        return self._content

    def md5(self) -> str:
        return hashlib.md5(self.content(), usedforsecurity=False).hexdigest()


class Portal:
    """One HubSpot account ("hub"): its records, associations, owners, properties, pipelines and files."""

    def __init__(self, portal_id: int) -> None:
        self.portal_id = portal_id
        self.records: dict[str, dict[int, Record]] = {}
        self.next_ids: dict[str, int] = {}
        self.associations = AssociationStore()
        self.owners: dict[int, Owner] = {}
        self.properties: dict[str, dict[str, PropertyDef]] = {}
        self.groups: dict[str, dict[str, dict[str, Any]]] = {}
        self.pipelines: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[int, StoredFile] = {}
        self.lead_batches = 0

    @property
    def hub_domain(self) -> str:
        return f"sandbox-{self.portal_id}.example.com"

    def new_id(self, key: str, base: int) -> int:
        value = self.next_ids.get(key, base)
        self.next_ids[key] = value + 1
        return value

    def options_for(self, prop: PropertyDef, object_type: str) -> list[tuple[str, str]]:
        """An enumeration's options, resolving the ones that live in owners or pipelines."""
        if prop.dynamic_options == DYNAMIC_OWNER:
            return [(str(o.id), f"{o.first_name} {o.last_name}".strip()) for o in self.owners.values()]
        pipelines = self.pipelines.get(object_type, [])
        if prop.dynamic_options == DYNAMIC_PIPELINE:
            return [(p["id"], p["label"]) for p in pipelines]
        if prop.dynamic_options == DYNAMIC_STAGE:
            return [(s["id"], s["label"]) for p in pipelines for s in p["stages"]]
        return list(prop.options)


class SandboxState:
    """Portals plus the cross-cutting services: clock, tokens, limits, faults, request log, listeners."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.portals: dict[int, Portal] = {}
        self.clock = Clock()
        self.tokens = TokenStore(self.clock)
        self.requests = RequestLog()
        self.faults = FaultInjector()
        self.limiter = RateLimiter(self.clock)
        self.stop_event = threading.Event()
        self.signing_key = secrets.token_bytes(32)  # signs file download URLs
        self._listeners: list[Callable[[RecordChange], None]] = []

    @property
    def default_portal_id(self) -> int:
        return next(iter(self.portals))

    def portal(self, portal_id: int | str | None = None) -> Portal:
        if portal_id not in (None, "") and not str(portal_id).strip().isdigit():
            raise api_error(400, "VALIDATION_ERROR", f"portalId must be a whole number, not {portal_id!r}")
        key = self.default_portal_id if portal_id in (None, "") else int(portal_id)
        if key not in self.portals:
            raise api_error(404, "OBJECT_NOT_FOUND", f"portal {key} does not exist in this sandbox")
        return self.portals[key]

    def subscribe(self, listener: Callable[[RecordChange], None]) -> None:
        """``listener`` is called (under the lock, so it must only enqueue) for every record change."""
        self._listeners.append(listener)

    def emit(self, change: RecordChange) -> None:
        for listener in self._listeners:
            listener(change)
