"""Every attempt is recorded with the endpoint template and without a secret, in rows and logs."""

from __future__ import annotations

import json
import logging

import pytest
import responses
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.http.concurrent import call_all
from crm_integrations.core.http.recording import CallRecord, call_meter, record_call
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


@pytest.mark.django_db(transaction=True)
def test_a_call_meter_counts_the_units_of_the_calls_made_inside_it_and_in_its_pool_threads():
    """The intake's pacing prices a round by its own calls (crm_integrations/intake/pacing.py): the
    chunks of a read are made from pool threads, which carry the round's context."""

    def call(units: int):
        return lambda: record_call(CallRecord("hubspot", "12345", "POST", TEMPLATE, 1, 200, units=units))

    call(7)()  # before: not this meter's
    with call_meter() as meter:
        call(3)()
        call_all([call(2), call(2), call(2), call(1)], at_once=4)  # in the pool's threads
        with call_meter() as inner:
            call(5)()
        assert inner.units == 5
    call(9)()  # after: not this meter's either
    assert meter.units == 3 + 7  # the inner meter took its own call
    assert ProviderApiCall.objects.count() == 8


def _refused_record() -> CallRecord:
    """A record the database refuses (``provider`` is NOT NULL): a real failure to store."""
    return CallRecord(None, "12345", "GET", TEMPLATE, 1, 200)  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_a_call_record_the_database_refuses_is_logged_and_fails_nothing_in_or_out_of_a_transaction(
    caplog,
):
    """Outside a transaction the record is one INSERT of its own (no BEGIN and COMMIT around it);
    inside the caller's, a savepoint keeps the refused INSERT from spoiling the caller's transaction
    (on PostgreSQL every later statement of the transaction would fail)."""
    good = CallRecord("hubspot", "12345", "GET", TEMPLATE, 1, 200)
    with CaptureQueriesContext(connection) as outside:
        record_call(good)
    assert [query["sql"].split()[0] for query in outside.captured_queries] == ["INSERT"]

    record_call(_refused_record())  # autocommit: nothing to spoil, nothing raised
    with transaction.atomic():
        record_call(_refused_record())
        record_call(good)  # the caller's transaction still works
        assert ProviderApiCall.objects.count() == 2
    assert ProviderApiCall.objects.count() == 2
    assert caplog.text.count("Could not record the API call") == 2
