"""Contracts from HubSpot deals: a workflow webhook (signed v2, or with our secret header) -> contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.test import Client

from crm_integrations.hubspot.config import hubspot_settings
from crm_integrations.hubspot.workflows import signature_v2

WORKFLOW_PATH = "/api/v1/integrations/hubspot/webhook"
SECRET = hubspot_settings("sandbox")["CLIENT_SECRET"]  # the "sandbox" app's secret (config/settings/test.py)
PORTAL = "24000001"
#: The deal stage our test workflows enroll deals at ("Legal Review" in a real portal).
STAGE = "contractsent"


@pytest.fixture
def media(settings, tmp_path):
    """Stored contract files go to a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def workflow_url(organization_id: object, account: str = PORTAL, base: str = "http://testserver") -> str:
    return f"{base}{WORKFLOW_PATH}?{urlencode({'organization': organization_id, 'account': account})}"


def post_workflow(
    client: Client,
    url: str,
    body: dict | bytes,
    *,
    secret: str | None = SECRET,
    workflow_secret: str | None = None,
    headers: dict[str, str] | None = None,
):
    """POST as HubSpot's workflow action does: the deal as JSON, signed v2 over method, URL and body
    (``secret``: the app's secret, None for no signature), with the connection's ``X-Workflow-Secret``
    header when given (crm_integrations/intake/workflow_secrets.py)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = {} if workflow_secret is None else {"HTTP_X_WORKFLOW_SECRET": workflow_secret}
    if secret is not None:
        signed |= {
            "HTTP_X_HUBSPOT_SIGNATURE": signature_v2(secret, "POST", url, raw),
            "HTTP_X_HUBSPOT_SIGNATURE_VERSION": "v2",
        }
    return client.post(url, data=raw, content_type="application/json", **signed, **(headers or {}))


def deal_body(deal_id: str | int, **properties: str) -> dict:
    return {
        "id": str(deal_id),
        "properties": {"dealname": "Acme - Annual plan", "dealstage": STAGE, **properties},
        "createdAt": "2026-01-05T10:00:00.000Z",
        "updatedAt": "2026-01-06T09:12:33.120Z",
        "archived": False,
    }


# --- the HubSpot sandbox ----------------------------------------------------------------------------


def seeded_deal(sandbox, wanted: Callable[[list], bool]) -> str:
    """A seeded deal whose attached files (the sandbox's own StoredFile objects) satisfy ``wanted``."""
    portal = sandbox.state.portal()
    for note in portal.records["notes"].values():
        ids = [int(i) for i in note.properties.get("hs_attachment_ids", "").split(";") if i]
        if ids and wanted([portal.files[i] for i in ids]):
            return str(portal.associations.first_target("notes", note.id, "deals"))
    raise AssertionError("the sandbox seed has no such deal")


def small_pdf_deal(sandbox) -> str:
    return seeded_deal(sandbox, lambda files: [f.extension for f in files] == ["pdf"] and files[0].size < 1e6)


def big_pdf_deal(sandbox) -> str:
    return seeded_deal(sandbox, lambda files: any(f.size > 10 * 1024 * 1024 for f in files))


def exe_and_pdf_deal(sandbox) -> str:
    return seeded_deal(sandbox, lambda files: {f.extension for f in files} == {"exe", "pdf"})


def enroll(sandbox, deal_id: str, stage: str = STAGE) -> None:
    """Move the deal into ``stage`` as a user would (from another stage first if it is there already)."""
    if sandbox.state.portal().records["deals"][int(deal_id)].properties.get("dealstage") == stage:
        sandbox.control.update_record("deals", deal_id, {"dealstage": "appointmentscheduled"})
    sandbox.control.update_record("deals", deal_id, {"dealstage": stage})


def workflow_action(target: str, organization_id: object, **extra: object) -> dict:
    """A "Send a webhook" action at ``STAGE``, with our organization and the portal as static parameters."""
    params = {"organization": str(organization_id), "account": PORTAL}
    return {"targetUrl": target, "stageId": STAGE, "queryParams": params, **extra}
