"""HubSpot workflow "Send a webhook" actions (reference §9.2): the v2 signature and the request's body.

The action POSTs the enrolled deal as the objects API returns it (``{"id", "properties", ...}``);
it says nothing about the portal or our organization, so the admin adds them as static query
parameters to the action's URL (``?organization=<our id>&account=<portal id>``), which the v2
signature covers. A customised body may carry them instead (``organization``, ``portalId``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crm_integrations.core.webhooks import (
    ACCOUNT_PARAMETER,
    ORGANIZATION_PARAMETER,
    MalformedWebhook,
    SignatureCheck,
    WorkflowRequest,
)
from crm_integrations.models import SignatureVerdict

from .webhooks import client_secrets


def signature_v2(secret: str, method: str, uri: str, body: bytes) -> str:
    """SHA-256 hex of ``client secret + method + full URI + body`` (reference §9.3)."""
    return hashlib.sha256(secret.encode() + method.encode() + uri.encode() + body).hexdigest()


def verify_workflow(*, method: str, url: str, headers: dict[str, str], body: bytes) -> SignatureCheck:
    """v2 only: v1 does not cover the URL, so it would vouch for no organization or portal."""
    lowered = {key.lower(): value for key, value in headers.items()}
    given = lowered.get("x-hubspot-signature", "")
    version = lowered.get("x-hubspot-signature-version", "").lower()
    if not given:
        return SignatureCheck(SignatureVerdict.MISSING, "no X-HubSpot-Signature header")
    if version != "v2":
        return SignatureCheck(
            SignatureVerdict.V1_REFUSED if version == "v1" else SignatureVerdict.INVALID,
            f"a workflow request must be signed v2 (it says {version or 'no version'})",
        )
    if any(
        hmac.compare_digest(signature_v2(secret, method, url, body), given) for secret in client_secrets()
    ):
        return SignatureCheck(SignatureVerdict.VALID, "v2")
    return SignatureCheck(SignatureVerdict.INVALID, "v2 signature does not match")


def parse_workflow(*, url: str, body: bytes) -> WorkflowRequest:
    try:
        payload = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedWebhook(f"the body is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise MalformedWebhook("a workflow webhook sends one JSON object (the enrolled deal)")
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    properties = payload.get("properties") if isinstance(payload.get("properties"), Mapping) else {}
    deal_id = _first(payload.get("id"), payload.get("objectId"), payload.get("hs_object_id"))
    deal_id = deal_id or _first(properties.get("hs_object_id"))
    organization = _first(query.get(ORGANIZATION_PARAMETER), payload.get(ORGANIZATION_PARAMETER))
    if not deal_id.isdigit():
        raise MalformedWebhook("no deal id (id, objectId or hs_object_id) in the body")
    if not organization:
        raise MalformedWebhook(f"no '{ORGANIZATION_PARAMETER}' query parameter or body field")
    portal = _first(query.get(ACCOUNT_PARAMETER), payload.get("portalId"), payload.get("portal-id"))
    return WorkflowRequest("deals", deal_id, organization, portal)


def _first(*values: Any) -> str:
    """The first value given (not None or empty), as text."""
    return next((str(value).strip() for value in values if value not in (None, "")), "")
