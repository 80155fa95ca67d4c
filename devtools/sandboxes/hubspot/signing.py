"""HubSpot request signatures v1, v2 and v3 (HubSpot's "Validating requests" guide), as the sandbox sends
them to apps; crm_integrations/hubspot/webhooks.py checks them on the app's side."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# v3 signs the URI after decoding exactly these escapes (other escapes such as %20 stay encoded).
_V3_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_V3_ESCAPE = re.compile("|".join(_V3_DECODED), re.IGNORECASE)


def _text(body: bytes | str) -> str:
    return body.decode("utf-8") if isinstance(body, bytes) else body


def v3_uri(uri: str) -> str:
    return _V3_ESCAPE.sub(lambda match: _V3_DECODED[match.group(0).upper()], uri)


def signature_v1(client_secret: str, body: bytes | str) -> str:
    """SHA-256 hex of ``clientSecret + body`` (app webhook deliveries)."""
    return hashlib.sha256((client_secret + _text(body)).encode("utf-8")).hexdigest()


def signature_v2(client_secret: str, method: str, uri: str, body: bytes | str) -> str:
    """SHA-256 hex of ``clientSecret + method + uri + body`` (workflow webhooks, CRM cards)."""
    return hashlib.sha256((client_secret + method + uri + _text(body)).encode("utf-8")).hexdigest()


def signature_v3(
    client_secret: str, method: str, uri: str, body: bytes | str, timestamp_ms: int | str
) -> str:
    """Base64 HMAC-SHA256 (key: client secret) of ``method + uri + body + timestamp``."""
    message = f"{method}{v3_uri(uri)}{_text(body)}{timestamp_ms}".encode()
    return base64.b64encode(
        hmac.new(client_secret.encode("utf-8"), message, hashlib.sha256).digest()
    ).decode()


def signed_headers(
    version: str | None, client_secret: str, method: str, uri: str, body: bytes, timestamp_ms: int
) -> dict[str, str]:
    """The headers HubSpot sends: the ``version`` signature (v1/v2) plus v3 alongside, as HubSpot does."""
    headers = {
        "X-HubSpot-Signature-v3": signature_v3(client_secret, method, uri, body, timestamp_ms),
        "X-HubSpot-Request-Timestamp": str(timestamp_ms),
    }
    if version == "v1":
        headers["X-HubSpot-Signature"] = signature_v1(client_secret, body)
    elif version == "v2":
        headers["X-HubSpot-Signature"] = signature_v2(client_secret, method, uri, body)
    if version in {"v1", "v2"}:
        headers["X-HubSpot-Signature-Version"] = version
    return headers
