"""The org's daily allocation and ``Sforce-Limit-Info`` (devtools/sandboxes/salesforce/guard.py), expired
sessions, and injected faults (faults.py)."""

from __future__ import annotations

import time

from .conftest import api, soql


def test_every_answer_carries_the_usage_and_the_allocation_runs_out(sandbox, token):
    sandbox.control.configure(daily_api_limit=5)
    seen = [
        soql(sandbox, token, "SELECT Id FROM User LIMIT 1").headers["Sforce-Limit-Info"] for _ in range(3)
    ]
    assert seen == ["api-usage=1/5", "api-usage=2/5", "api-usage=3/5"]
    error = soql(sandbox, token, "SELECT Nope FROM User")
    assert error.status_code == 400 and error.headers["Sforce-Limit-Info"] == "api-usage=4/5"
    assert api(sandbox, "GET", "limits", token).json()["DailyApiRequests"] == {"Max": 5, "Remaining": 0}
    refused = soql(sandbox, token, "SELECT Id FROM User LIMIT 1")
    assert refused.status_code == 403  # never 429
    assert refused.json() == [
        {
            "message": "TotalRequests Limit exceeded. (Limit: 5)",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
            "fields": [],
        }
    ]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=5/5"  # a refused call is not counted
    sandbox.control.configure(access_token_ttl=10**6)
    sandbox.control.advance_clock(86400)  # the window rolls: yesterday's calls no longer count
    fresh = sandbox.control.access_token()
    again = soql(sandbox, fresh, "SELECT Id FROM User LIMIT 1")
    assert again.status_code == 200 and again.headers["Sforce-Limit-Info"] == "api-usage=1/5"


def test_usage_can_be_set_and_oauth_calls_are_free(sandbox, token):
    sandbox.control.set_usage(99_998)
    assert (
        soql(sandbox, token, "SELECT Id FROM User LIMIT 1").headers["Sforce-Limit-Info"]
        == "api-usage=99999/100000"
    )
    sandbox.control.access_token()
    assert sandbox.control.usage() == {"used": 99_999, "max": 100_000}


def test_expired_and_revoked_sessions_are_invalid_session_id(sandbox, token):
    assert soql(sandbox, token, "SELECT Id FROM User").status_code == 200
    sandbox.control.advance_clock(7200)  # the default session timeout
    expired = soql(sandbox, token, "SELECT Id FROM User")
    assert expired.status_code == 401
    assert expired.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID", "fields": []}
    ]
    other = sandbox.control.access_token()
    sandbox.control.revoke_token(other)
    assert soql(sandbox, other, "SELECT Id FROM User").status_code == 401
    assert api(sandbox, "GET", "limits", "not-a-token").status_code == 401


def test_injected_server_errors_are_seeded_and_salesforce_shaped(sandbox, token):
    sandbox.control.set_faults(errorShare=0.5, errorStatuses=[500, 503], seed=4, pathPrefix="/services/data")
    first = [soql(sandbox, token, "SELECT Id FROM User LIMIT 1").status_code for _ in range(12)]
    sandbox.control.set_faults(errorShare=0.5, errorStatuses=[500, 503], seed=4, pathPrefix="/services/data")
    second = [soql(sandbox, token, "SELECT Id FROM User LIMIT 1") for _ in range(12)]
    assert first == [r.status_code for r in second] and {500, 503} <= set(first) and 200 in first
    unavailable = next(r for r in second if r.status_code == 503)
    assert unavailable.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert "Sforce-Limit-Info" in unavailable.headers
    faults = [e["fault"] for e in sandbox.control.requests(path_prefix="/services/data")]
    assert faults.count("error") == first.count(500) * 2 + first.count(503) * 2


def test_timeout_after_work_applies_the_write_then_holds_the_answer(sandbox, token):
    import pytest
    import requests

    lead_id = soql(sandbox, token, "SELECT Id FROM Lead WHERE IsConverted = false LIMIT 1").json()["records"][
        0
    ]["Id"]
    sandbox.control.set_faults(
        timeoutShare=1.0,
        timeoutSeconds=1.0,
        timeoutAfterWork=True,
        pathPrefix="/services/data/v66.0/sobjects",
    )
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.patch(
            f"{sandbox.base_url}/services/data/v66.0/sobjects/Lead/{lead_id}",
            json={"Rating": "Cold"},
            headers={"Authorization": f"Bearer {token}", "Sforce-Auto-Assign": "FALSE"},
            timeout=0.3,
        )
    assert time.monotonic() - started < 1.0
    assert sandbox.control.record("Lead", lead_id)["Rating"] == "Cold"
    sandbox.control.clear_faults()
