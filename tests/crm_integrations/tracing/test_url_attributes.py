"""The instrumentations' URL attributes are cut to the path: an OAuth callback's ``?code=`` or a
query-string key never reaches a span (crm_integrations/core/tracing/attributes.py)."""

import pytest
import requests
import responses
from django.test import Client
from opentelemetry.trace import SpanKind

SECRET = "oauth-code-4f1c2b9e8d7a6b5c"


def texts(span) -> list[str]:
    return [f"{key}={value}" for key, value in span.attributes.items()]


@pytest.mark.django_db
def test_a_request_to_us_keeps_its_path_only(spans):
    Client().get(f"/api/v1/integrations/hubspot/callback?code={SECRET}&state=xyz")

    server = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER)
    assert server.attributes["http.target"] == "/api/v1/integrations/hubspot/callback"
    assert not [text for text in texts(server) if SECRET in text or "state=" in text]


@responses.activate
def test_an_outgoing_request_other_than_a_crm_call_keeps_its_path_only(spans):
    responses.add(responses.GET, "https://user:pw@hooks.example.com/services/T0/B0", json={})

    requests.get(f"https://user:pw@hooks.example.com/services/T0/B0?token={SECRET}", timeout=5)

    client = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT)
    assert client.attributes["url.full"] == "https://hooks.example.com/services/T0/B0"
    assert not [text for text in texts(client) if SECRET in text or "pw@" in text]
