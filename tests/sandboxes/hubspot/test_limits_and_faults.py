"""Rate limits (ten-secondly + search), fault injection and the request log."""

from __future__ import annotations

import time

import pytest
import requests

from crm_integrations.sandboxes.hubspot import start_sandbox

from .conftest import Api


def test_rate_limit_headers_count_down_then_429(sandbox, api):
    first = api.get("/crm/v3/objects/contacts")
    assert first.headers["X-HubSpot-RateLimit-Max"] == "110"
    assert first.headers["X-HubSpot-RateLimit-Remaining"] == "109"
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"

    sandbox.control.reset(keepTokens=True)
    sandbox.control.configure(rate_limit_max=5)
    remaining = [
        api.get("/crm/v3/objects/contacts").headers["X-HubSpot-RateLimit-Remaining"] for _ in range(5)
    ]
    assert remaining == ["4", "3", "2", "1", "0"]
    limited = api.get("/crm/v3/objects/contacts")
    assert limited.status_code == 429
    body = limited.json()
    assert body["status"] == "error"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["correlationId"] and body["requestId"]


def test_rolling_window_frees_budget_after_the_interval(sandbox, api):
    sandbox.control.configure(rate_limit_max=2, rate_limit_interval_ms=300)
    assert [api.get("/crm/v3/objects/deals").status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(0.45)
    assert api.get("/crm/v3/objects/deals").status_code == 200


def test_several_portals_have_their_own_data_and_limits():
    with start_sandbox(portal_ids=(101, 202), seed_leads=2, rate_limit_max=1) as two:
        apis = {
            portal: Api(two.base_url, two.control.access_token(portal_id=portal)) for portal in (101, 202)
        }
        assert all(api.get("/crm/v3/objects/leads").status_code == 200 for api in apis.values())
        assert apis[101].get("/crm/v3/objects/leads").status_code == 429
        logged = {entry["portalId"] for entry in two.control.requests()}
        assert logged == {101, 202}


def test_search_has_its_own_per_second_bucket_and_no_rate_headers(sandbox, api):
    sandbox.control.configure(search_rate_per_second=2, rate_limit_max=1000)
    statuses = [api.post("/crm/v3/objects/leads/search", {"limit": 1}) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert not any(name.startswith("X-HubSpot-RateLimit") for name in statuses[0].headers)
    assert statuses[2].json()["errorType"] == "RATE_LIMIT"
    # Search does not use up the ten-secondly budget.
    assert api.get("/crm/v3/objects/leads").headers["X-HubSpot-RateLimit-Remaining"] == "999"


@pytest.mark.parametrize(("share", "expected"), [(1.0, {503}), (0.0, {200})])
def test_error_share_one_fails_everything_and_zero_nothing(sandbox, api, share, expected):
    sandbox.control.set_faults(errorShare=share, errorStatuses=[503])
    responses = [api.get("/crm/v3/objects/leads?limit=1") for _ in range(20)]
    assert {r.status_code for r in responses} == expected
    if share:
        body = responses[0].json()
        assert body["status"] == "error" and body["correlationId"]


def test_seeded_faults_repeat_exactly(sandbox, api):
    def run() -> list[int]:
        sandbox.control.set_faults(
            errorShare=0.25, rateLimitShare=0.15, errorStatuses=[502, 503, 504], seed=42
        )
        return [api.get("/crm/v3/objects/leads?limit=1").status_code for _ in range(60)]

    first, second = run(), run()
    assert first == second
    assert {429, 200} <= set(first) and set(first) & {502, 503, 504}
    assert 5 <= sum(s != 200 for s in first) <= 45


def test_faults_limited_to_a_path_prefix(sandbox, api):
    sandbox.control.set_faults(errorShare=1.0, pathPrefix="/crm/v3/objects/deals")
    assert api.get("/crm/v3/objects/deals").status_code in {502, 503, 504}
    assert api.get("/crm/v3/objects/leads").status_code == 200
    sandbox.control.clear_faults()
    assert api.get("/crm/v3/objects/deals").status_code == 200


def test_rate_limit_fault_uses_hubspots_429_body(sandbox, api):
    sandbox.control.set_faults(rateLimitShare=1.0)
    response = api.get("/crm/v3/objects/leads")
    assert response.status_code == 429
    assert response.json()["policyName"] == "TEN_SECONDLY_ROLLING"


def test_slow_and_timeout_faults(sandbox, api):
    sandbox.control.set_faults(slowShare=1.0, slowSeconds=0.3)
    started = time.monotonic()
    assert api.get("/crm/v3/objects/leads?limit=1").status_code == 200
    assert time.monotonic() - started >= 0.3
    sandbox.control.set_faults(timeoutShare=1.0, timeoutSeconds=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/crm/v3/objects/leads?limit=1", timeout=0.3)


def test_bad_fault_settings_are_rejected(sandbox):
    response = requests.put(sandbox.base_url + "/_sandbox/faults", json={"errorShare": 1.5}, timeout=10)
    assert response.status_code == 400


def test_request_log_counts_api_calls(sandbox, api):
    sandbox.control.clear_requests()
    api.get("/crm/v3/objects/leads")
    api.post("/crm/v3/objects/leads/search", {"limit": 1})
    api.get("/crm/v3/objects/contacts/1")
    entries = sandbox.control.requests(path_prefix="/crm/v3/objects/")
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/crm/v3/objects/leads", 200),
        ("POST", "/crm/v3/objects/leads/search", 200),
        ("GET", "/crm/v3/objects/contacts/1", 404),
    ]
    assert entries[0]["portalId"] == sandbox.portal_id
    assert len(sandbox.control.requests(method="POST")) == 1
