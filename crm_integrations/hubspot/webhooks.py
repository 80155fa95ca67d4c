"""HubSpot app webhooks: the v3 signature (v1 only when allowed) and the event batch format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
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

from .config import client_secrets, webhook_allow_v1
from .object_types import OBJECT_TYPES

MAX_TIMESTAMP_AGE_MS = 5 * 60 * 1000
#: HubSpot batches at most 100 events into one request.
MAX_EVENTS_PER_REQUEST = 100
#: v3 signs the URI with only these escapes decoded, so the URI we sign must decode exactly these
#: (HubSpot's "Validating requests" guide; its Python SDK's ``hubspot/utils/signature.py`` agrees).
_V3_DECODES = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
_TYPE_BY_ID = {item.type_id: item.name for item in OBJECT_TYPES}
_TYPE_BY_LEGACY = {"contact": "contacts", "company": "companies", "deal": "deals"}


def v3_uri(uri: str) -> str:
    for escaped, plain in _V3_DECODES.items():
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    return uri


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + v3_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signature_v1(secret: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + body).hexdigest()


def signature_v2(secret: str, method: str, uri: str, body: bytes) -> str:
    """SHA-256 hex of ``client secret + method + full URI + body`` (workflow actions sign this way)."""
    return hashlib.sha256(secret.encode() + method.encode() + uri.encode() + body).hexdigest()


def matching_environment(given: str, sign: Callable[[str], str]) -> str | None:
    """The environment whose accepted secret produces the signature ``given``, or None.

    Compared as bytes in constant time: a header with non-ASCII characters is a mismatch, not an
    error (``hmac.compare_digest`` raises on non-ASCII ``str``)."""
    wanted = given.encode("utf-8", errors="surrogateescape")
    for environment, secret in client_secrets():
        if hmac.compare_digest(sign(secret).encode(), wanted):
            return environment
    return None


def verify_webhook(*, method: str, url: str, headers: dict[str, str], body: bytes) -> SignatureCheck:
    lowered = {key.lower(): value for key, value in headers.items()}
    v3 = lowered.get("x-hubspot-signature-v3")
    timestamp = lowered.get("x-hubspot-request-timestamp", "")
    if v3:
        if not _fresh(timestamp):
            return SignatureCheck(
                SignatureVerdict.STALE, "X-HubSpot-Request-Timestamp is missing or over 5 minutes off"
            )
        environment = matching_environment(
            v3, lambda secret: signature_v3(secret, method, url, body, timestamp)
        )
        if environment is not None:
            return SignatureCheck(SignatureVerdict.VALID, "v3", environment=environment)
        return SignatureCheck(SignatureVerdict.INVALID, "v3 signature does not match")
    given = lowered.get("x-hubspot-signature")
    if not given:
        return SignatureCheck(SignatureVerdict.MISSING, "no X-HubSpot-Signature-v3 header")
    version = lowered.get("x-hubspot-signature-version", "v1").strip().lower() or "v1"
    if version not in ("v1", "v2"):
        return SignatureCheck(SignatureVerdict.INVALID, f"unknown signature version {version[:20]!r}")
    if not webhook_allow_v1():
        return SignatureCheck(
            SignatureVerdict.V1_REFUSED,
            f"only a {version} signature (no timestamp, replayable); v3 is required",
        )
    if version == "v2":
        environment = matching_environment(given, lambda secret: signature_v2(secret, method, url, body))
    else:
        environment = matching_environment(given, lambda secret: signature_v1(secret, body))
    if environment is not None:
        return SignatureCheck(
            SignatureVerdict.VALID,
            f"{version} (allowed by HUBSPOT_WEBHOOK_ALLOW_V1)",
            environment=environment,
        )
    return SignatureCheck(SignatureVerdict.INVALID, f"{version} signature does not match")


def _fresh(timestamp: str) -> bool:
    """A millisecond timestamp within five minutes of now (range-checked before any arithmetic)."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 15:
        return False
    return abs(time.time() * 1000 - int(timestamp)) <= MAX_TIMESTAMP_AGE_MS


def parse_webhook_events(body: bytes) -> list[InboundEvent]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise MalformedWebhook(f"the body is not JSON: {type(error).__name__}") from None
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise MalformedWebhook("HubSpot sends a JSON array of event objects")
    if len(payload) > MAX_EVENTS_PER_REQUEST:
        raise MalformedWebhook(f"HubSpot sends at most {MAX_EVENTS_PER_REQUEST} events a request")
    return [_event(item) for item in payload]


def _event(item: dict[str, Any]) -> InboundEvent:
    """One event; a field out of range makes it an event with a ``problem`` (recorded, not taken
    in) instead of failing its whole batch, which HubSpot would then retry for three days."""
    event_type = str(item.get("subscriptionType") or item.get("eventType") or "")[:100]
    occurred = item.get("occurredAt")
    value = "" if item.get("propertyValue") is None else str(item["propertyValue"])
    key = dedupe_key(
        # HubSpot's webhooks guide says eventId is not guaranteed unique: key on it with
        # subscription, object and time so a real second event is not dropped as a duplicate.
        "hubspot",
        item.get("portalId"),
        item.get("subscriptionId"),
        item.get("eventId"),
        item.get("objectId"),
        occurred,
        event_type,
        item.get("propertyName", ""),
        value,
    )
    try:
        return InboundEvent(
            dedupe_key=key,
            account_id=external_id(item.get("portalId"), "portalId"),
            event_id=external_id(item.get("eventId"), "eventId"),
            event_type=event_type,
            object_type=_object_type(event_type, str(item.get("objectTypeId", ""))),
            object_id=external_id(item.get("objectId"), "objectId"),
            occurred_at=event_moment(occurred, "occurredAt", per_second=1000),
            property_name=bounded_text(item.get("propertyName") or "", "propertyName", 200),
            property_value=value[:2000],
            deleted=event_type.endswith(".deletion"),  # contact.deletion, object.deletion...
        )
    except MalformedWebhook as problem:
        return InboundEvent(key, "", "", event_type, "", "", None, problem=str(problem))


def _object_type(event_type: str, type_id: str) -> str:
    type_id = type_id[:20]
    if type_id:
        return _TYPE_BY_ID.get(type_id, "")
    return _TYPE_BY_LEGACY.get(event_type.split(".", 1)[0], "")
