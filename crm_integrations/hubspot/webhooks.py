"""HubSpot app webhooks: the v3 signature (v1 only when allowed) and the event batch format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from crm_integrations.core.webhooks import InboundEvent, MalformedWebhook, SignatureCheck, dedupe_key
from crm_integrations.models import SignatureVerdict

from .object_types import OBJECT_TYPES

MAX_TIMESTAMP_AGE_MS = 5 * 60 * 1000
#: v3 signs the URI with only these escapes decoded (reference §9.3).
_V3_DECODES = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
_TYPE_BY_ID = {item.type_id: item.name for item in OBJECT_TYPES}
_TYPE_BY_LEGACY = {"contact": "contacts", "company": "companies", "deal": "deals"}


def client_secrets() -> list[str]:
    """Every configured app's secret: a delivery may come from the production or the sandbox app."""
    return [conf["CLIENT_SECRET"] for conf in settings.HUBSPOT.values() if conf.get("CLIENT_SECRET")]


def v3_uri(uri: str) -> str:
    for escaped, plain in _V3_DECODES.items():
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    return uri


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + v3_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signature_v1(secret: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + body).hexdigest()


def verify_webhook(*, method: str, url: str, headers: dict[str, str], body: bytes) -> SignatureCheck:
    lowered = {key.lower(): value for key, value in headers.items()}
    v3 = lowered.get("x-hubspot-signature-v3")
    timestamp = lowered.get("x-hubspot-request-timestamp", "")
    if v3:
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > MAX_TIMESTAMP_AGE_MS:
            return SignatureCheck(
                SignatureVerdict.STALE, "X-HubSpot-Request-Timestamp is missing or over 5 minutes off"
            )
        if any(
            hmac.compare_digest(signature_v3(secret, method, url, body, timestamp), v3)
            for secret in client_secrets()
        ):
            return SignatureCheck(SignatureVerdict.VALID, "v3")
        return SignatureCheck(SignatureVerdict.INVALID, "v3 signature does not match")
    v1 = lowered.get("x-hubspot-signature")
    if v1:
        if not settings.HUBSPOT_WEBHOOK_ALLOW_V1:
            return SignatureCheck(
                SignatureVerdict.V1_REFUSED, "only a v1 signature (no timestamp, replayable); v3 is required"
            )
        if any(hmac.compare_digest(signature_v1(secret, body), v1) for secret in client_secrets()):
            return SignatureCheck(SignatureVerdict.VALID, "v1 (allowed by HUBSPOT_WEBHOOK_ALLOW_V1)")
        return SignatureCheck(SignatureVerdict.INVALID, "v1 signature does not match")
    return SignatureCheck(SignatureVerdict.MISSING, "no X-HubSpot-Signature-v3 header")


def parse_webhook_events(body: bytes) -> list[InboundEvent]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedWebhook(f"the body is not JSON: {error}") from None
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise MalformedWebhook("HubSpot sends a JSON array of event objects")
    return [_event(item) for item in payload]


def _event(item: dict[str, Any]) -> InboundEvent:
    event_type = str(item.get("subscriptionType") or item.get("eventType") or "")
    occurred = item.get("occurredAt")
    occurred_at = datetime.fromtimestamp(int(occurred) / 1000, tz=UTC) if str(occurred).isdigit() else None
    value = "" if item.get("propertyValue") is None else str(item["propertyValue"])
    return InboundEvent(
        # eventId alone is not unique (reference §9.1): key on it with subscription, object and time.
        dedupe_key=dedupe_key(
            "hubspot",
            item.get("portalId"),
            item.get("subscriptionId"),
            item.get("eventId"),
            item.get("objectId"),
            occurred,
            event_type,
            item.get("propertyName", ""),
            value,
        ),
        account_id=str(item.get("portalId", "")),
        event_id=str(item.get("eventId", "")),
        event_type=event_type,
        object_type=_object_type(event_type, str(item.get("objectTypeId", ""))),
        object_id=str(item.get("objectId", "")),
        occurred_at=occurred_at,
        property_name=str(item.get("propertyName") or ""),
        property_value=value[:2000],
    )


def _object_type(event_type: str, type_id: str) -> str:
    if type_id:
        return _TYPE_BY_ID.get(type_id, "")
    return _TYPE_BY_LEGACY.get(event_type.split(".", 1)[0], "")
