"""What a provider's webhooks must offer the shared intake: a signature check and event parsing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from crm_integrations.models import SignatureVerdict


@dataclass(frozen=True)
class SignatureCheck:
    verdict: str  # a SignatureVerdict value
    detail: str = ""
    #: The CRM account the signature vouches for, when the body does not say (monday's JWT).
    account_id: str = ""

    @property
    def valid(self) -> bool:
        return self.verdict == SignatureVerdict.VALID


@dataclass(frozen=True)
class InboundEvent:
    """One CRM event, normalized; ``dedupe_key`` identifies it across retries and replays."""

    dedupe_key: str
    account_id: str
    event_id: str
    event_type: str
    object_type: str  # the contract's name ("leads", "contacts", "items"), "" when unknown
    object_id: str
    occurred_at: datetime | None
    property_name: str = ""
    property_value: str = ""


#: Static query parameters of a workflow action's URL: our organization id and the CRM account id.
ORGANIZATION_PARAMETER = "organization"
ACCOUNT_PARAMETER = "account"


@dataclass(frozen=True)
class WorkflowRequest:
    """What a CRM workflow action's request asks for: one record, for one of our organizations.

    ``organization_id`` and ``account_id`` are what the request says (static parameters the CRM's
    admin set in the action): checked against the connection that owns the account, never trusted.
    """

    object_type: str  # the contract's name, e.g. "deals"
    object_id: str
    organization_id: str
    account_id: str = ""  # the CRM account (HubSpot portal) it says it comes from; "" if it does not


class MalformedWebhook(ValueError):
    """The body is not what the provider sends (bad JSON, wrong shape): answered 400."""


class WebhookSource(Protocol):
    def verify_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck: ...

    def parse_webhook_events(self, body: bytes, *, account_id: str = "") -> list[InboundEvent]: ...

    def webhook_handshake(self, body: bytes) -> dict[str, str] | None: ...


def dedupe_key(*parts: object) -> str:
    """A stable key from the fields that together identify one event."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
