"""Behaviours /work/shared/reference/salesforce-api.md marks "not re-verified", each behind an option of
the sandbox (devtools/sandboxes/salesforce/config.py), and the Get Updated resource."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import requests

from .conftest import api, soql

CLIENT = {"client_id": "sandbox-salesforce-client-id", "client_secret": "sandbox-salesforce-client-secret"}


def _refresh(sandbox, refresh_token: str) -> requests.Response:
    form = {**CLIENT, "grant_type": "refresh_token", "refresh_token": refresh_token}
    return requests.post(f"{sandbox.base_url}/services/oauth2/token", data=form, timeout=10)


def minute(epoch_ms: int) -> str:
    return quote(datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_issued_at_in_milliseconds_or_seconds(sandbox):
    assert re.fullmatch(r"\d{13}", sandbox.control.tokens()["issued_at"])
    sandbox.control.configure(issued_at_unit="s")
    assert re.fullmatch(r"\d{10}", sandbox.control.tokens()["issued_at"])


def test_refresh_tokens_until_revoked_or_for_a_lifetime(sandbox):
    lasting = sandbox.control.tokens()["refresh_token"]
    sandbox.control.configure(refresh_token_ttl=3600)
    short = sandbox.control.tokens()["refresh_token"]
    sandbox.control.advance_clock(3601)
    assert _refresh(sandbox, lasting).status_code == 200
    expired = _refresh(sandbox, short)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_converted_leads_read_only_or_not(sandbox, token):
    converted = soql(sandbox, token, "SELECT Id FROM Lead WHERE IsConverted = true LIMIT 1").json()[
        "records"
    ][0]["Id"]
    headers = {"Sforce-Auto-Assign": "FALSE"}
    refused = api(
        sandbox, "PATCH", f"sobjects/Lead/{converted}", token, json={"Rating": "Hot"}, headers=headers
    )
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    sandbox.control.configure(converted_leads_read_only=False)
    taken = api(
        sandbox, "PATCH", f"sobjects/Lead/{converted}", token, json={"Rating": "Hot"}, headers=headers
    )
    assert taken.status_code == 204 and sandbox.control.record("Lead", converted)["Rating"] == "Hot"


def test_quoted_datetime_literals_refused_or_read(sandbox, token):
    query = "SELECT COUNT() FROM Lead WHERE CreatedDate > '2000-01-01T00:00:00Z'"
    assert soql(sandbox, token, query).json()[0]["errorCode"] == "INVALID_FIELD"
    sandbox.control.configure(quoted_datetime_literals=True)
    assert soql(sandbox, token, query).json()["totalSize"] == 30


def test_get_updated_lists_ids_changed_in_the_window(sandbox, token):
    now = sandbox.control.clock()["nowMs"]
    lead = soql(sandbox, token, "SELECT Id FROM Lead WHERE IsConverted = false LIMIT 1").json()["records"][0][
        "Id"
    ]
    api(
        sandbox,
        "PATCH",
        f"sobjects/Lead/{lead}",
        token,
        json={"Rating": "Warm"},
        headers={"Sforce-Auto-Assign": "FALSE"},
    )
    path = f"sobjects/Lead/updated/?start={minute(now - 120_000)}&end={minute(now + 120_000)}"
    body = api(sandbox, "GET", path, token).json()
    assert body["ids"] == [lead] and body["latestDateCovered"].endswith(":00.000+0000")
    too_old = api(
        sandbox,
        "GET",
        f"sobjects/Lead/updated/?start={minute(now - 31 * 86_400_000)}&end={minute(now)}",
        token,
    )
    assert too_old.status_code == 400 and too_old.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"
