"""monday's error answers scripted with ``responses``: rate limits, auth, partial failures, 5xx splits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import responses

from crm_integrations.core import registry
from crm_integrations.core.errors import AuthRevoked, InvalidRequest, NotFound, RateLimited
from crm_integrations.core.types import RecordUpdate
from crm_integrations.models import ConnectionStatus
from crm_integrations.monday.errors import CursorExpired, crm_error, errors_of
from crm_integrations.services import upsert_organization_integration

from .conftest import OFFLINE_API, OFFLINE_BOARD, OFFLINE_URL, monday_settings, sent

USERS = {
    "data": {
        "complexity": {"query": 10},
        "users": [{"id": "1", "name": "A B", "email": "a@b.c", "status": "ACTIVE"}],
    }
}


def test_complexity_budget_exhausted_is_rate_limited_with_monday_s_retry_in_seconds(offline_client, mocked):
    mocked.post(
        OFFLINE_URL,
        status=429,
        headers={"Retry-After": "42"},
        json={
            "errors": [
                {
                    "message": "Complexity budget exhausted",
                    "extensions": {
                        "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                        "complexity": 6182,
                        "complexity_budget_left": 100,
                        "complexity_budget_limit": 5000000,
                        "retry_in_seconds": 42,
                        "status_code": 429,
                    },
                }
            ],
            "account_id": 31000009,
            "extensions": {"request_id": "req-1"},
        },
    )

    with pytest.raises(RateLimited) as caught:
        offline_client.list_owners()

    assert caught.value.retry_after == 42  # longer than CRM_HTTP_MAX_INLINE_WAIT: not slept, raised
    assert caught.value.code == "COMPLEXITY_BUDGET_EXHAUSTED"
    assert caught.value.correlation_id == "req-1"


def test_the_legacy_complexity_exception_says_when_the_budget_resets(offline_client, mocked):
    mocked.post(
        OFFLINE_URL,
        status=200,
        json={
            "error_code": "ComplexityException",
            "error_message": "Complexity budget exhausted, query cost 30001 budget remaining 10000 out of "
            "1000000 reset in 25 seconds",
            "status_code": 429,
        },
    )

    with pytest.raises(RateLimited) as caught:
        offline_client.list_owners()

    assert caught.value.retry_after == 25
    assert caught.value.code == "ComplexityException"


def test_a_short_minute_limit_is_waited_out_inline_and_the_call_repeated(offline_client, mocked):
    mocked.post(
        OFFLINE_URL,
        status=429,
        headers={"Retry-After": "0"},
        json={"errors": [{"message": "Minute limit rate exceeded", "extensions": {"status_code": 429}}]},
    )
    mocked.post(OFFLINE_URL, json=USERS)

    assert [owner.email for owner in offline_client.list_owners()] == ["a@b.c"]
    assert len(mocked.calls) == 2


def test_the_daily_call_limit_waits_until_midnight_utc():
    error = errors_of(
        {"errors": [{"message": "Daily limit exceeded", "extensions": {"code": "DAILY_LIMIT_EXCEEDED"}}]}
    )
    mapped = crm_error(error[0], http_status=200)

    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert isinstance(mapped, RateLimited)
    assert abs(mapped.retry_after - (midnight - now).total_seconds()) < 5


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {
                "message": "User unauthorized to perform action",
                "path": ["me"],
                "extensions": {"code": "UserUnauthorizedException", "status_code": 403},
            },
            InvalidRequest,
        ),
        (
            {
                "message": "Missing required permissions: boards:read",
                "extensions": {"code": "missingRequiredPermissions", "status_code": 403},
            },
            InvalidRequest,
        ),
        (
            {
                "message": "Item not found",
                "extensions": {"code": "ResourceNotFoundException", "status_code": 404},
            },
            NotFound,
        ),
        ({"message": "CursorExpiredError: The cursor provided for pagination has expired."}, CursorExpired),
        ({"message": "Not Authenticated", "extensions": {"status_code": 401}}, AuthRevoked),
        (
            {
                "message": "Resource is currently locked, please try again later",
                "extensions": {"status_code": 423},
            },
            RateLimited,
        ),
    ],
)
def test_monday_error_codes_map_onto_the_contract(entry, expected):
    [error] = errors_of({"errors": [entry]})

    assert type(crm_error(error)) is expected


def test_a_query_monday_refuses_is_an_invalid_request_with_its_code(offline_client, mocked):
    mocked.post(
        OFFLINE_URL,
        json={
            "errors": [
                {
                    "message": "Field 'nope' doesn't exist on type 'User'",
                    "locations": [{"line": 1, "column": 9}],
                    "extensions": {"code": "undefinedField"},
                }
            ],
            "account_id": 31000009,
        },
    )

    with pytest.raises(InvalidRequest) as caught:
        offline_client.list_owners()

    assert caught.value.code == "undefinedField"
    assert len(mocked.calls) == 1  # not retried


def test_a_rejected_personal_token_is_revoked_and_the_connection_needs_reconnection(offline_client, mocked):
    mocked.post(OFFLINE_URL, status=401, json={"errors": [{"message": "Not Authenticated"}]})

    with pytest.raises(AuthRevoked):
        offline_client.list_owners()

    offline_client.connection.refresh_from_db()
    assert offline_client.connection.status == ConnectionStatus.NEEDS_REAUTH
    assert mocked.calls[0].request.headers["Authorization"] == "offline-personal-token"  # bare, no "Bearer"


def test_an_expired_oauth21_token_is_refreshed_once_and_the_call_repeated(
    settings, organization, tmp_path, monday_registered, mocked
):
    settings.MONDAY = monday_settings(OFFLINE_API, OAUTH_FLOW="2.1")
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
    }
    connection = upsert_organization_integration(
        organization,
        "monday",
        "sandbox",
        status="connected",
        external_account_id="31000009",
        access_token="old-jwt",
        refresh_token="refresh-1",
        settings={"board_id": OFFLINE_BOARD},
    )
    client = registry.get_client(connection)
    fresh = jwt.encode(
        {"exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp())}, "k" * 32, algorithm="HS256"
    )
    mocked.post(OFFLINE_URL, status=401, json={"errors": [{"message": "Not Authenticated"}]})
    mocked.post(
        f"{OFFLINE_API}/oauth_ms/oauth/token",
        json={
            "access_token": fresh,
            "refresh_token": "refresh-2",
            "token_type": "Bearer",
            "scope": "boards:read",
        },
    )
    mocked.post(OFFLINE_URL, json=USERS)

    assert len(client.list_owners()) == 1

    assert mocked.calls[2].request.headers["Authorization"] == fresh
    connection.refresh_from_db()
    assert (connection.access_token, connection.refresh_token) == (fresh, "refresh-2")  # rotated and stored


def test_a_500_for_a_batch_of_writes_is_split_until_the_bad_item_is_alone(offline_client, mocked):
    columns = {
        "data": {
            "boards": [
                {
                    "id": OFFLINE_BOARD,
                    "name": "Leads",
                    "groups": [],
                    "columns": [
                        {
                            "id": "status",
                            "title": "Status",
                            "type": "status",
                            "settings_str": json.dumps({"labels": {"0": "New", "1": "Won"}}),
                        }
                    ],
                }
            ]
        }
    }
    mocked.post(OFFLINE_URL, json=columns)

    def answer(request):
        variables = json.loads(request.body)["variables"]
        ids = [value for key, value in variables.items() if key.startswith("i")]
        if "13" in ids:
            return 500, {}, json.dumps({"error_message": "Internal server error", "status_code": 500})
        data = {
            f"u{n}": {
                "id": item,
                "name": "x",
                "state": "active",
                "updated_at": "2026-11-21T10:00:00Z",
                "column_values": [{"id": "status", "type": "status", "text": "Won", "label": "Won"}],
            }
            for n, item in enumerate(ids)
        }
        return 200, {}, json.dumps({"data": {"complexity": {"query": 100 * len(ids)}, **data}})

    mocked.add_callback(responses.POST, OFFLINE_URL, callback=answer)
    ids = [str(i) for i in range(10, 18)]

    result = offline_client.batch_update("items", [RecordUpdate(i, {"status": "Won"}) for i in ids])

    assert [f.id for f in result.failed] == ["13"]
    assert sorted(r.id for r in result.updated) == sorted(set(ids) - {"13"})
    writes = [sent(call) for call in mocked.calls[1:]]
    assert [sum(k.startswith("i") for k in w["variables"]) for w in writes] == [8, 4, 2, 2, 1, 1, 4]
    assert all(json.loads(w["variables"]["v0"]) == {"status": {"label": "Won"}} for w in writes)


def test_a_partial_answer_fails_only_the_items_monday_named(offline_client, mocked):
    mocked.post(
        OFFLINE_URL,
        json={
            "data": {
                "boards": [
                    {
                        "id": OFFLINE_BOARD,
                        "name": "L",
                        "groups": [],
                        "columns": [
                            {"id": "people", "title": "Owner", "type": "people", "settings_str": "{}"}
                        ],
                    }
                ]
            }
        },
    )
    mocked.post(
        OFFLINE_URL,
        json={
            "data": {
                "complexity": {"query": 2000},
                "u0": {"id": "1", "name": "a", "state": "active"},
                "u1": None,
            },
            "errors": [
                {
                    "message": "The person 9 does not exist",
                    "path": ["u1"],
                    "extensions": {
                        "code": "ColumnValueException",
                        "status_code": 200,
                        "error_data": {"column_type": "people"},
                    },
                }
            ],
        },
    )

    result = offline_client.batch_update(
        "items", [RecordUpdate("1", {"people": "7"}), RecordUpdate("2", {"people": 9})]
    )

    assert [r.id for r in result.updated] == ["1"]
    assert [(f.id, f.code) for f in result.failed] == [("2", "ColumnValueException")]
    sent_values = json.loads(sent(mocked.calls[1])["variables"]["v0"])
    assert sent_values == {"people": {"personsAndTeams": [{"id": 7, "kind": "person"}]}}
