"""Rate limits (ten-secondly + search), fault injection and the request log."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from devtools.sandboxes.hubspot import start_sandbox

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
    sandbox.control.configure(rate_limit_max=2)
    assert [api.get("/crm/v3/objects/deals").status_code for _ in range(3)] == [200, 200, 429]
    sandbox.control.advance_clock(5)
    assert api.get("/crm/v3/objects/deals").status_code == 429  # half the ten seconds: still spent
    sandbox.control.advance_clock(5.1)
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


def rate_limit_headers(response: requests.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("X-HubSpot-RateLimit")}


def shape_of(response: requests.Response) -> tuple:
    """Everything of a 429 but its ids, which must be fresh UUIDs (two of them)."""
    body = response.json()
    ids = {str(uuid.UUID(body.pop("correlationId"))), str(uuid.UUID(body.pop("requestId")))}
    assert len(ids) == 2
    return response.status_code, rate_limit_headers(response), body


@pytest.mark.parametrize(
    ("path", "body", "policy"),
    [
        ("/crm/v3/objects/leads", None, "TEN_SECONDLY_ROLLING"),
        ("/crm/v3/objects/leads/search", {"limit": 1}, "SECONDLY"),
        ("/crm/objects/2026-03/contacts/search", {"limit": 1}, "SECONDLY"),
    ],
)
def test_an_injected_429_is_the_limiters_own(sandbox, api, path, body, policy):
    method = "POST" if body else "GET"
    sandbox.control.configure(rate_limit_max=1, search_rate_per_second=1)
    assert api.call(method, path, json=body).status_code == 200
    own = api.call(method, path, json=body)
    sandbox.control.reset(keepTokens=True)
    sandbox.control.configure(rate_limit_max=1, search_rate_per_second=1)
    sandbox.control.set_faults(rateLimitShare=1.0)
    injected = api.call(method, path, json=body)

    assert shape_of(injected) == shape_of(own)
    status, headers, fields = shape_of(injected)
    assert status == 429 and fields["policyName"] == policy and fields["errorType"] == "RATE_LIMIT"
    if policy == "SECONDLY":  # HubSpot sends no rate limit headers on search
        assert headers == {} and fields["message"] == "You have reached your secondly limit."
    else:
        assert headers == {
            "X-HubSpot-RateLimit-Max": "1",
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
    assert [entry["fault"] for entry in sandbox.control.requests()] == ["rate_limit"]


def test_slow_and_timeout_faults(sandbox, api):
    sandbox.control.set_faults(slowShare=1.0, slowSeconds=0.3)
    started = time.monotonic()
    assert api.get("/crm/v3/objects/leads?limit=1").status_code == 200
    assert time.monotonic() - started >= 0.3
    sandbox.control.set_faults(timeoutShare=1.0, timeoutSeconds=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/crm/v3/objects/leads?limit=1", timeout=0.3)


@pytest.mark.parametrize("after_work", [False, True])
def test_a_timeout_holds_a_write_before_or_after_carrying_it_out(sandbox, api, after_work):
    lead_id = str(min(sandbox.state.portal().records["leads"]))
    sandbox.control.set_faults(
        timeoutShare=1.0, timeoutSeconds=1.5, timeoutAfterWork=after_work, pathPrefix="/crm/v3/objects/leads/"
    )
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.patch(f"/crm/v3/objects/leads/{lead_id}", {"properties": {"hs_lead_name": "Held"}}, timeout=0.3)

    def applied() -> bool:
        return sandbox.state.portal().records["leads"][int(lead_id)].properties["hs_lead_name"] == "Held"

    assert applied() is after_work  # after the work: applied although the client gave up
    deadline = time.monotonic() + 10
    while not sandbox.control.requests(method="PATCH") and time.monotonic() < deadline:
        time.sleep(0.05)  # before the work: the write lands when the hold ends
    assert [entry["fault"] for entry in sandbox.control.requests(method="PATCH")] == ["timeout"]
    assert applied()


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
