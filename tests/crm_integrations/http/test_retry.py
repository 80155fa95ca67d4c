"""Retries, waits and error mapping: 429 / Retry-After, 5xx backoff, 4xx mapping, error bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from tenacity import RetryCallState

from crm_integrations.core.errors import (
    AuthExpired,
    InvalidRequest,
    NotFound,
    ProviderUnavailable,
    RateLimited,
)
from crm_integrations.core.http import parse_retry_after
from crm_integrations.core.http.retry import wait_hint_or_backoff
from crm_integrations.models import ProviderApiCall

from .support import PATH_PARAMS, TEMPLATE, URL, make_policy


def _get(client, **kwargs):
    return client.request("GET", TEMPLATE, path_params=PATH_PARAMS, **kwargs)


# -- 3. 429 and Retry-After ----------------------------------------------------------------------


@responses.activate
def test_429_is_retried_after_retry_after(make_client, fake_sleep):
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "1"})
    responses.add(responses.GET, URL, json={"id": "7"})
    assert _get(make_client()).json() == {"id": "7"}
    assert len(fake_sleep.calls) == 1
    assert fake_sleep.calls[0] >= 1
    assert len(responses.calls) == 2
    attempts = list(
        ProviderApiCall.objects.order_by("attempt").values_list("attempt", "status_code", "error_kind")
    )
    assert attempts == [(1, 429, "rate_limited"), (2, 200, "")]


@responses.activate
def test_429_with_a_long_retry_after_raises_rate_limited_without_sleeping(make_client, fake_sleep):
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as raised:
        _get(make_client())
    assert raised.value.retry_after == 120
    assert raised.value.status == 429
    assert fake_sleep.calls == []
    assert len(responses.calls) == 1


@responses.activate
def test_hubspot_rate_limit_headers_are_honoured(make_client, fake_sleep):
    spent = {"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    responses.add(responses.GET, URL, status=429, headers=spent)
    responses.add(responses.GET, URL, json={})
    _get(make_client())
    assert fake_sleep.calls == [10.0]


@responses.activate
def test_retry_after_as_an_http_date(make_client, fake_sleep):
    when = datetime.now(UTC) + timedelta(seconds=300)
    responses.add(responses.GET, URL, status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(ProviderUnavailable) as raised:
        _get(make_client())
    assert 290 <= raised.value.retry_after <= 300
    assert fake_sleep.calls == []


def test_parse_retry_after():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# -- 4. 5xx, 4xx and error bodies ----------------------------------------------------------------


@responses.activate
def test_5xx_is_retried_with_backoff_then_provider_unavailable(make_client, fake_sleep):
    responses.add(responses.GET, URL, status=503)
    policy = make_policy(max_attempts=3, backoff_base=0.5, backoff_max=8.0)
    with pytest.raises(ProviderUnavailable) as raised:
        _get(make_client(policy=policy))
    assert raised.value.status == 503
    assert len(responses.calls) == 3
    # Two waits between three attempts, each within its full-jitter window: [0, 0.5], [0, 1.0].
    assert len(fake_sleep.calls) == 2
    assert 0 <= fake_sleep.calls[0] <= 0.5
    assert 0 <= fake_sleep.calls[1] <= 1.0


@responses.activate
def test_5xx_then_success(make_client, fake_sleep):
    responses.add(responses.GET, URL, status=502)
    responses.add(responses.GET, URL, json={"ok": True})
    assert _get(make_client()).json() == {"ok": True}
    assert len(fake_sleep.calls) == 1


def test_backoff_is_exponential_with_full_jitter():
    wait = wait_hint_or_backoff(base=0.5, maximum=8.0)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 8.0)):
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        samples = [wait(state) for _ in range(300)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.7 and min(samples) < ceiling * 0.3  # spread over the window


@responses.activate
def test_timeouts_and_connection_errors_are_retried(make_client, fake_sleep):
    responses.add(responses.GET, URL, body=requests.ConnectTimeout("connect"))
    responses.add(responses.GET, URL, body=requests.ReadTimeout("read"))
    responses.add(responses.GET, URL, json={"ok": True})
    assert _get(make_client()).json() == {"ok": True}
    assert len(fake_sleep.calls) == 2
    kinds = list(ProviderApiCall.objects.order_by("attempt").values_list("error_kind", flat=True))
    assert kinds == ["timeout", "timeout", ""]


@responses.activate
def test_a_non_idempotent_post_is_not_repeated_after_a_5xx_unless_marked_idempotent(make_client, fake_sleep):
    url = "https://api.hubapi.com/crm/v3/objects/leads"
    responses.add(responses.POST, url, status=502)
    client = make_client()
    with pytest.raises(ProviderUnavailable):
        client.request("POST", "/crm/v3/objects/{objectType}", path_params={"objectType": "leads"}, json={})
    assert len(responses.calls) == 1
    with pytest.raises(ProviderUnavailable):
        client.request(
            "POST",
            "/crm/v3/objects/{objectType}",
            path_params={"objectType": "leads"},
            json={},
            idempotent=True,
        )
    assert len(responses.calls) == 1 + 3


@responses.activate
def test_404_is_not_found_and_not_retried(make_client, fake_sleep):
    responses.add(responses.GET, URL, status=404, json={"message": "resource not found"})
    with pytest.raises(NotFound) as raised:
        _get(make_client())
    assert raised.value.status == 404
    assert "resource not found" in raised.value.message
    assert len(responses.calls) == 1
    assert fake_sleep.calls == []


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthExpired), (403, InvalidRequest), (409, InvalidRequest), (422, InvalidRequest)],
)
def test_other_statuses_map_without_retry(make_client, fake_sleep, status, error):
    responses.add(responses.GET, URL, status=status)
    with pytest.raises(error) as raised:
        _get(make_client())
    assert type(raised.value) is error
    assert raised.value.status == status
    assert len(responses.calls) == 1


@responses.activate
def test_hubspot_error_body_gives_code_and_correlation_id(make_client):
    body = {
        "status": "error",
        "message": "Property values were not valid",
        "correlationId": "3f0c4a4e-7d1b-4bb5-9d7e-0c1a2b3c4d5e",
        "category": "VALIDATION_ERROR",
    }
    responses.add(responses.GET, URL, status=400, json=body)
    with pytest.raises(InvalidRequest) as raised:
        _get(make_client())
    error = raised.value
    assert (error.status, error.code, error.correlation_id) == (
        400,
        "VALIDATION_ERROR",
        body["correlationId"],
    )
    assert "Property values were not valid" in error.message
    assert ProviderApiCall.objects.get().correlation_id == body["correlationId"]


@responses.activate
def test_a_provider_parser_and_response_hook_map_responses_themselves(make_client, fake_sleep):
    """monday-style: GraphQL errors inside HTTP 200, a complexity budget error asking to wait."""

    def monday_hook(response):
        errors = response.json().get("errors") or []
        if errors and errors[0].get("extensions", {}).get("code") == "ComplexityException":
            return RateLimited("complexity budget exhausted", retry_after=3, code="ComplexityException")
        if errors:
            return InvalidRequest(errors[0]["message"], code=errors[0]["extensions"]["code"])
        return None

    complexity = {"errors": [{"message": "budget", "extensions": {"code": "ComplexityException"}}]}
    invalid = {"errors": [{"message": "No such column", "extensions": {"code": "InvalidColumnIdException"}}]}
    responses.add(responses.POST, "https://api.hubapi.com/v2", body=json.dumps(complexity))
    responses.add(responses.POST, "https://api.hubapi.com/v2", json={"data": {"items": []}})
    responses.add(responses.POST, "https://api.hubapi.com/v2", json=invalid)
    client = make_client(response_hook=monday_hook)
    assert client.request("POST", "/v2", json={"query": "{ items { id } }"}).json() == {"data": {"items": []}}
    assert fake_sleep.calls == [3]
    with pytest.raises(InvalidRequest) as raised:
        client.request("POST", "/v2", json={"query": "{ boards { id } }"})
    assert raised.value.code == "InvalidColumnIdException"
