"""What a provider's webhooks must offer the shared intake: a signature check and event parsing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from crm_integrations.models import SignatureVerdict


@dataclass(frozen=True)
class SignatureCheck:
    verdict: str  # a SignatureVerdict value
    detail: str = ""
    #: The CRM account the signature vouches for, when the body does not say (monday's JWT).
    account_id: str = ""
    #: The app environment ("production", "sandbox") whose secret verified the request: the
    #: connection is looked up in that environment only.
    environment: str = ""

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
    #: Why the event cannot be taken in (an id or time out of range...): recorded with this reason
    #: while the rest of its batch goes on (crm_integrations/intake/events.py ``_first_look``).
    problem: str = ""
    #: The record was deleted at the CRM (each provider says which of its events mean it): such
    #: events are recorded and ignored, never fetched (crm_integrations/intake/events.py).
    deleted: bool = False


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


#: CRM ids are 64-bit integers at most: 19 digits (20 leaves room for an unsigned one).
MAX_ID_DIGITS = 20
#: Event times outside these bounds are malformed: before 2000 or more than a day ahead of us.
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_EVENT_AHEAD = timedelta(days=1)


def external_id(value: object, name: str) -> str:
    """An id from a CRM's webhook as text: digits only, at most ``MAX_ID_DIGITS``; "" when absent.

    Raises ``MalformedWebhook`` naming the field for anything else (an id is stored, looked up and
    sent back to the CRM, so a 10,000-character "id" must stop here)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise MalformedWebhook(f"{name} is not an id")
    if isinstance(value, float):
        if not value.is_integer():
            raise MalformedWebhook(f"{name} is not a whole number")
        value = int(value)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_ID_DIGITS:
        raise MalformedWebhook(f"{name} is not an id of at most {MAX_ID_DIGITS} digits")
    return text


def event_moment(value: object, name: str, *, per_second: int) -> datetime | None:
    """An epoch time (``per_second`` units a second: 1000 for milliseconds) as a datetime, range
    checked before any arithmetic; None when absent; ``MalformedWebhook`` naming the field else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedWebhook(f"{name} is not a time")
    try:
        number = float(value)
    except ValueError:
        raise MalformedWebhook(f"{name} is not a time") from None
    latest = datetime.now(tz=UTC) + LATEST_EVENT_AHEAD
    if not (EARLIEST_EVENT.timestamp() <= number / per_second <= latest.timestamp()):
        raise MalformedWebhook(f"{name} is out of range (before 2000 or more than a day ahead)")
    return datetime.fromtimestamp(number / per_second, tz=UTC)


def bounded_text(value: object, name: str, limit: int) -> str:
    """A short text field from outside, refused (not cut) when longer than ``limit``."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        raise MalformedWebhook(f"{name} is longer than {limit} characters")
    return text


def dedupe_key(*parts: object) -> str:
    """A stable key from the fields that together identify one event."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
