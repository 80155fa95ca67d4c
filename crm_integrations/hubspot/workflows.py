"""HubSpot workflow "Send a webhook" actions: the v2 signature and the request's body.

The action POSTs the enrolled deal as the objects API returns it (``{"id", "properties", ...}``);
it says nothing about the portal or our organization, so the admin adds them as static query
parameters to the action's URL (``?organization=<our id>&account=<portal id>``), which the v2
signature covers. A customised body may carry them instead (``organization``, ``portalId``).
HubSpot's knowledge-base article "Use webhooks with HubSpot workflows" describes the action;
crm_integrations/hubspot/SETUP.md walks an administrator through setting it up for contracts.
"""

from __future__ import annotations

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
    external_id,
)
from crm_integrations.models import SignatureVerdict

from .webhooks import matching_environment, signature_v2


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
    environment = matching_environment(given, lambda secret: signature_v2(secret, method, url, body))
    if environment is not None:
        return SignatureCheck(SignatureVerdict.VALID, "v2", environment=environment)
    return SignatureCheck(SignatureVerdict.INVALID, "v2 signature does not match")


def parse_workflow(*, url: str, body: bytes) -> WorkflowRequest:
    try:
        payload = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise MalformedWebhook(f"the body is not JSON: {type(error).__name__}") from None
    if not isinstance(payload, dict):
        raise MalformedWebhook("a workflow webhook sends one JSON object (the enrolled deal)")
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    properties = payload.get("properties") if isinstance(payload.get("properties"), Mapping) else {}
    deal_id = _first(payload.get("id"), payload.get("objectId"), payload.get("hs_object_id"))
    deal_id = external_id(deal_id or _first(properties.get("hs_object_id")), "the deal id")
    organization = _first(query.get(ORGANIZATION_PARAMETER), payload.get(ORGANIZATION_PARAMETER))
    if not deal_id:
        raise MalformedWebhook("no deal id (id, objectId or hs_object_id) in the body")
    if not organization:
        raise MalformedWebhook(f"no '{ORGANIZATION_PARAMETER}' query parameter or body field")
    organization = external_id(organization, f"'{ORGANIZATION_PARAMETER}'")
    portal = _first(query.get(ACCOUNT_PARAMETER), payload.get("portalId"), payload.get("portal-id"))
    return WorkflowRequest("deals", deal_id, organization, external_id(portal, f"'{ACCOUNT_PARAMETER}'"))


def _first(*values: Any) -> str:
    """The first value given (not None or empty), as text; "" for a value that is not a scalar."""
    given = next((value for value in values if value not in (None, "")), "")
    return str(given).strip() if isinstance(given, str | int | float) and not isinstance(given, bool) else ""
