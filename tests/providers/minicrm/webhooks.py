"""Mini CRM's webhook format: a JSON batch of lead events, signed with HMAC-SHA256 over the body.

Body: ``{"account_id": "7001", "events": [{"id", "type", "lead_id", "at" (epoch ms), "field",
"value"}]}``; ``type`` is ``lead.creation``, ``lead.change`` (with the ``field`` and its new
``value``) or ``lead.deletion``; other types are not lead events (ignored by the intake).

Header ``X-Mini-Signature: t=<epoch seconds>,v1=<hex>``, the hex HMAC-SHA256 of ``<t>.<body>`` with
the app environment's signing secret (config.py); a signature older than five minutes is stale.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from crm_integrations.core.webhooks import (
    InboundEvent,
    MalformedWebhook,
    SignatureCheck,
    bounded_text,
    dedupe_key,
    event_moment,
    external_id,
)
from crm_integrations.models import SignatureVerdict

from .config import signing_secrets

HEADER = "X-Mini-Signature"
MAX_AGE_SECONDS = 5 * 60
LEAD_EVENTS = ("lead.creation", "lead.change", "lead.deletion")
OBJECT_TYPE = "leads"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, *, secret: str, signed_at: float) -> dict[str, str]:
    """The header Mini CRM sends with ``body`` (the CRM's side, for the store and the tests)."""
    timestamp = str(int(signed_at))
    return {HEADER: f"t={timestamp},v1={signature(secret, timestamp, body)}"}


def body(account_id: str, events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"account_id": account_id, "events": events}).encode()


def verify(headers: dict[str, str], body: bytes) -> SignatureCheck:
    """Which accepted secret signed ``body`` (constant-time comparison), and whether it is fresh."""
    lowered = {key.lower(): value for key, value in headers.items()}
    parts = dict(part.split("=", 1) for part in lowered.get(HEADER.lower(), "").split(",") if "=" in part)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not (timestamp and given):
        return SignatureCheck(SignatureVerdict.MISSING, f"no {HEADER} header with t= and v1=")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return SignatureCheck(SignatureVerdict.STALE, f"{HEADER} t= is over five minutes off")
    wanted = given.encode("utf-8", errors="surrogateescape")
    for environment, secret in signing_secrets():
        if hmac.compare_digest(signature(secret, timestamp, body).encode(), wanted):
            return SignatureCheck(SignatureVerdict.VALID, "v1 HMAC-SHA256", environment=environment)
    return SignatureCheck(SignatureVerdict.INVALID, "v1 matches no signing secret of ours")


def parse(raw: bytes) -> list[InboundEvent]:
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise MalformedWebhook(f"not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise MalformedWebhook("not a Mini CRM event batch (no events list)")
    account_id = external_id(data.get("account_id"), "account_id")
    return [_event(account_id, item) for item in data["events"]]


def _event(account_id: str, item: object) -> InboundEvent:
    if not isinstance(item, dict):
        raise MalformedWebhook("an event is not an object")
    event_id = bounded_text(item.get("id"), "id", 100)
    kind = bounded_text(item.get("type"), "type", 100)
    lead_id = external_id(item.get("lead_id"), "lead_id") if kind in LEAD_EVENTS else ""
    return InboundEvent(
        dedupe_key=dedupe_key("minicrm", account_id, event_id),
        account_id=account_id,
        event_id=event_id,
        event_type=kind,
        object_type=OBJECT_TYPE if lead_id else "",
        object_id=lead_id,
        occurred_at=event_moment(item.get("at"), "at", per_second=1000),
        property_name=bounded_text(item.get("field"), "field", 100),
        property_value=bounded_text(item.get("value"), "value", 1000),
        deleted=kind == "lead.deletion",
    )
