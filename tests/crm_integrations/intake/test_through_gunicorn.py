"""Webhook requests through the real web server (gunicorn, as the Procfile runs it).

- A workflow secret sent in the query string is masked before the URL is stored, shown in the
  debugger or written to gunicorn's access log (config/gunicorn_logging.py).
- A chunked body (no Content-Length) is read under the same size cap as any other
  (crm_integrations/intake/views.py), so a correctly signed chunked batch is accepted and an
  oversized one gets 413, not a bad-signature 401.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from django.apps import apps
from django.db import models
from django.urls import reverse

from crm_integrations.hubspot.webhooks import signature_v3
from crm_integrations.intake.workflow_secrets import SECRET_HEADER, issue_workflow_secret
from crm_integrations.models import WebhookDelivery
from devtools.benchmarks.harness.web_server import serve_app

from .test_hubspot_events import SECRET, event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
MAX_BODY = 4096


@pytest.fixture
def web(tmp_path) -> Iterator[tuple[str, Path]]:
    env = {"WEBHOOK_MAX_BODY_BYTES": str(MAX_BODY), "ALLOWED_HOSTS": "127.0.0.1"}
    with serve_app(1, ready_path="/healthz", var_dir=str(tmp_path), extra_env=env, access_log=True) as url:
        yield url, tmp_path / "gunicorn.log"


def everything_stored() -> str:
    """Every text, JSON and URL value of every row in the database, as one string to search."""
    found = []
    for model in apps.get_models():
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if fields:
            found.extend(str(row) for row in model.objects.values_list(*fields))
    return "\n".join(found)


def test_a_secret_in_the_query_string_is_masked_in_the_database_the_debugger_and_the_logs(
    web, hubspot_connection, admin_client
):
    base, log = web
    secret = issue_workflow_secret(hubspot_connection)
    path = reverse("crm_integrations:workflow_webhook", args=["hubspot"])
    query = {"organization": hubspot_connection.organization_id, "account": "24000001"}
    deal = json.dumps({"id": "9001", "properties": {"dealname": "Acme"}})

    accepted = requests.post(
        f"{base}{path}?{urlencode({**query, SECRET_HEADER: secret})}", data=deal, timeout=30
    )
    refused = requests.post(
        f"{base}{path}?{urlencode({**query, SECRET_HEADER: 'x' + secret})}", data=deal, timeout=30
    )

    assert (accepted.status_code, refused.status_code) == (200, 401), (accepted.text, refused.text)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.signature for d in deliveries] == ["valid", "invalid"]
    assert all(f"{SECRET_HEADER}=[redacted]" in d.url for d in deliveries)
    assert secret not in everything_stored()
    for delivery in deliveries:
        page = admin_client.get(reverse("admin:crm_integrations_webhookdelivery_change", args=[delivery.pk]))
        assert page.status_code == 200 and secret not in page.content.decode()
    logged = log.read_text()
    assert f"{SECRET_HEADER}=[redacted]" in logged  # the access log has the request line...
    assert secret not in logged  # ...with the secret masked


def chunked(body: bytes, size: int = 700) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def signed_headers(url: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature_v3(SECRET, "POST", url, body, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
    }


def test_a_chunked_signed_batch_is_read_whole_and_accepted(web, hubspot_connection):
    base, _ = web
    url = base + reverse("crm_integrations:webhook_events", args=["hubspot"])
    body = json.dumps([event(n, event_id=n) for n in range(1, 8)]).encode()
    assert 700 < len(body) <= MAX_BODY

    answer = requests.post(url, data=chunked(body), headers=signed_headers(url, body), timeout=30)

    assert answer.status_code == 200, answer.text
    delivery = WebhookDelivery.objects.get()
    assert delivery.body.encode() == body and delivery.signature == "valid"


def test_an_oversized_chunked_body_gets_413(web, hubspot_connection):
    base, _ = web
    url = base + reverse("crm_integrations:webhook_events", args=["hubspot"])
    body = json.dumps([event(n, event_id=n) for n in range(1, 60)]).encode()
    assert len(body) > MAX_BODY

    answer = requests.post(url, data=chunked(body), headers=signed_headers(url, body), timeout=30)

    assert answer.status_code == 413, answer.text
    assert WebhookDelivery.objects.get().response_status == 413
