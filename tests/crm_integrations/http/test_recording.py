"""Every attempt is recorded with the endpoint template and without a secret, in rows and logs."""

from __future__ import annotations

import json
import logging

import pytest
import responses
from django.forms.models import model_to_dict

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.models import ProviderApiCall

from .support import PATH_PARAMS, TEMPLATE, URL


def bearer_hook(prepared):
    prepared.headers["Authorization"] = "Bearer SECRET-TOKEN-123"


@responses.activate
def test_calls_are_recorded_with_the_template_and_no_secret(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    responses.add(responses.GET, URL, json={"id": "7"})
    client = make_client(auth=bearer_hook)
    client.request("GET", TEMPLATE, path_params=PATH_PARAMS, params={"access_token": "SECRET-QUERY-456"})

    sent = responses.calls[0].request  # the secrets really were on the wire
    assert sent.headers["Authorization"] == "Bearer SECRET-TOKEN-123"
    assert "access_token=SECRET-QUERY-456" in sent.url

    row = ProviderApiCall.objects.get()
    assert (row.provider, row.account, row.method, row.endpoint) == ("hubspot", "12345", "GET", TEMPLATE)
    assert (row.status_code, row.error_kind, row.attempt, row.breaker_state) == (200, "", 1, "closed")
    assert row.latency_ms >= 0 and row.created_at is not None
    stored = json.dumps(model_to_dict(row), default=str)
    assert "SECRET" not in stored
    assert "leads/7" not in stored  # the filled path (with record ids) is never stored
    assert TEMPLATE in caplog.text  # the call was logged ...
    assert "SECRET" not in caplog.text  # ... without the secrets


@responses.activate
def test_an_error_body_echoing_secrets_is_masked_everywhere(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    echo = {"message": "Bad token Bearer SECRET-TOKEN-123 in access_token=SECRET-QUERY-456", "category": "X"}
    responses.add(responses.GET, URL, status=400, json=echo)
    client = make_client(auth=bearer_hook)
    with pytest.raises(InvalidRequest) as raised:
        client.request("GET", TEMPLATE, path_params=PATH_PARAMS, params={"access_token": "SECRET-QUERY-456"})
    assert "SECRET" not in str(raised.value)
    assert "SECRET" not in json.dumps(model_to_dict(ProviderApiCall.objects.get()), default=str)
    assert "SECRET" not in caplog.text


def test_endpoint_must_be_a_template_not_a_url_with_a_query(make_client):
    client = make_client()
    with pytest.raises(ValueError, match="template"):
        client.request("GET", "/crm/v3/objects/leads?access_token=SECRET")
    assert not ProviderApiCall.objects.exists()


@responses.activate
def test_path_parameters_are_url_quoted(make_client):
    responses.add(responses.GET, "https://api.hubapi.com/crm/v3/objects/leads/a%2F..%2Fb", json={})
    make_client().request("GET", TEMPLATE, path_params={"objectType": "leads", "objectId": "a/../b"})
    assert len(responses.calls) == 1
