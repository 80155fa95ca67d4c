"""The CRM behind Mini CRM: one account's owners and lead records, in this process's memory.

What a real provider reaches over HTTP. It lives in memory so that the live server's threads (the
staff pages, the mapping wizard) and the test share it; ``reset`` empties it between tests. Times
are milliseconds that always move forward, so "changed since" is exact. ``webhook`` is the CRM's
side of a webhook: the body in Mini CRM's format, signed as ``webhooks`` checks it.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

from crm_integrations.core.errors import AuthRevoked

from . import webhooks

ACCOUNT_ID = "7001"
API_KEY = "mini-crm-api-key-0123456789abcdef"
LEADS = "leads"


@dataclass(frozen=True)
class FieldSpec:
    """A field of a Mini CRM lead: ``kind`` is its CRM type (text, number, choice, owner, timestamp)."""

    name: str
    label: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()
    read_only: bool = False


FIELDS = (
    FieldSpec("full_name", "Full name", "text"),
    FieldSpec("email", "Email", "text"),
    FieldSpec("company", "Company", "text"),
    FieldSpec("country", "Country", "text"),
    FieldSpec(
        "channel", "Channel", "choice", (("web", "Web form"), ("referral", "Referral"), ("event", "Event"))
    ),
    FieldSpec(
        "stage", "Stage", "choice", (("new", "New"), ("working", "Working"), ("won", "Won"), ("lost", "Lost"))
    ),
    FieldSpec("owner_id", "Owner", "owner"),
    FieldSpec("deal_size", "Deal size", "number"),
    FieldSpec("created_at", "Created", "timestamp", read_only=True),
)
FIELDS_BY_NAME = {spec.name: spec for spec in FIELDS}


@dataclass(frozen=True)
class Owner:
    id: str
    email: str
    first_name: str
    last_name: str
    active: bool = True


@dataclass
class Lead:
    id: str
    properties: dict[str, Any]
    updated_ms: int


SEED_OWNERS = (
    Owner("501", "ada@mini.example", "Ada", "Lovelace"),
    Owner("502", "grace@mini.example", "Grace", "Hopper"),
    Owner("503", "alan@mini.example", "Alan", "Turing", active=False),
)


class Store:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.api_keys = {API_KEY: ACCOUNT_ID}
            self.owners = {owner.id: owner for owner in SEED_OWNERS}
            self.leads: dict[str, Lead] = {}
            self._ids = itertools.count(1001)
            self._events = itertools.count(1)
            self._last_ms = 0

    # -- the API's view ---------------------------------------------------------------------------

    def account_for(self, api_key: str) -> str:
        """The account an API key belongs to; ``AuthRevoked`` for a key Mini CRM never issued."""
        with self._lock:
            account = self.api_keys.get(api_key)
        if account is None:
            raise AuthRevoked("Mini CRM does not know this API key.", status=401, code="invalid_key")
        return account

    def leads_by_change(self) -> list[Lead]:
        """Every lead, oldest change first (ties by id)."""
        with self._lock:
            return sorted(self.leads.values(), key=lambda lead: (lead.updated_ms, int(lead.id)))

    def lead(self, lead_id: str) -> Lead | None:
        with self._lock:
            return self.leads.get(lead_id)

    # -- changes, as a person in Mini CRM (or its API) makes them -----------------------------------

    def create_lead(self, **properties: Any) -> Lead:
        with self._lock:
            now = self._tick()
            lead = Lead(str(next(self._ids)), {**properties, "created_at": now}, now)
            self.leads[lead.id] = lead
            return lead

    def update_lead(self, lead_id: str, properties: dict[str, Any]) -> Lead | None:
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is not None:
                lead.properties.update(properties)
                lead.updated_ms = self._tick()
            return lead

    def _tick(self) -> int:
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return self._last_ms

    # -- its webhooks ---------------------------------------------------------------------------

    def event(self, kind: str, lead_id: str, **change: str) -> dict[str, Any]:
        """One event as Mini CRM sends it (``kind``: one of ``webhooks.LEAD_EVENTS`` or another type)."""
        with self._lock:
            return {
                "id": f"evt-{next(self._events)}",
                "type": kind,
                "lead_id": lead_id,
                "at": self._tick(),
                **change,
            }

    def webhook(self, events: list[dict[str, Any]], *, secret: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a delivery of ``events``, signed with ``secret`` now."""
        body = webhooks.body(ACCOUNT_ID, events)
        return body, webhooks.signed_headers(body, secret=secret, signed_at=time.time())


STORE = Store()


def reset() -> None:
    """Empty the CRM: the seeded owners, no leads (tests call it first)."""
    STORE.reset()
