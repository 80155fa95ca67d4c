"""MondayClient against the monday sandbox over HTTP: values, fields, writes, cursors, budget, tokens."""

from __future__ import annotations

import json
import math

import pytest

from crm_integrations.core.errors import AuthRevoked, InvalidRequest, NotFound, RateLimited
from crm_integrations.core.http import SharedRateLimiter
from crm_integrations.core.http.budgets import rate_budgets
from crm_integrations.core.types import FieldType, RecordUpdate
from crm_integrations.models import ConnectionStatus, ProviderApiCall
from crm_integrations.monday.feed import FeedCursor

from .conftest import api_calls, token_connection


def a_lead(sandbox, **predicates):
    """The first seeded item whose stored values satisfy every predicate."""
    for item in sorted(sandbox.state.board.items.values(), key=lambda i: i.id):
        if all(check(item.values.get(column)) for column, check in predicates.items()):
            return item
    raise AssertionError("no seeded item fits")


def test_column_values_are_plain_values_keyed_by_column_id_with_raw_values_kept(monday, sandbox):
    item = a_lead(sandbox, people_owner=bool, long_text_notes=lambda v: v is None)
    owner_id = item.values["people_owner"]["personsAndTeams"][0]["id"]

    record = monday.get_record("items", str(item.id))

    props = record.properties
    assert props["name"] == item.name
    assert props["email"] == item.values["email"]["email"]
    assert props["status"] in {"New", "Working", "Won", "Lost", "Excluded"}
    assert props["people_owner"] == str(owner_id)
    assert props["numbers_amount"] == item.values["numbers_amount"]  # "1500", not "1500.0" nor "$1,500"
    assert props["date_received"] == item.values["date_received"]["date"]
    assert props["dropdown_industry"] in {
        c["name"] for c in sandbox.state.board.columns["dropdown_industry"].settings["labels"]
    }
    assert props["long_text_notes"] is None
    assert props["__group__"] == item.group_id
    assert props["__raw__"]["people_owner"]["value"]["personsAndTeams"][0]["id"] == owner_id
    assert props["__raw__"]["status"]["type"] == "status"
    assert record.updated_at is not None and record.updated_at.tzinfo is not None
    assert record.created_at is not None and record.created_at <= record.updated_at  # created → owner


def test_properties_limit_the_columns_read(monday, sandbox):
    item_id = str(min(sandbox.state.board.items))

    record = monday.get_record("items", item_id, properties=["status", "name"])

    assert set(record.properties) == {"name", "status", "__group__", "__raw__"}


def test_list_fields_brings_status_labels_dropdown_labels_and_users(monday, sandbox):
    fields = {field.name: field for field in monday.list_fields("items")}

    status = fields["status"]
    assert status.type == FieldType.ENUMERATION and status.provider_type == "status"
    assert [(o.value, o.label) for o in status.options] == [
        (label, label) for label in ("New", "Working", "Won", "Lost", "Excluded")
    ]
    assert [o.label for o in fields["status_lead_type"].options] == [
        "New business",
        "Upsell",
        "Re-engagement",
    ]
    assert fields["dropdown_industry"].options[0].label == "Software"
    owner_options = {o.value for o in fields["people_owner"].options}
    active = {str(u.id) for u in sandbox.state.users.values() if u.status == "ACTIVE"}
    assert owner_options == active
    assert fields["last_updated"].read_only and not fields["text_company"].read_only
    assert fields["__group__"].options and fields["__group__"].read_only


def test_owners_are_every_user_with_their_status_and_teams(monday, sandbox):
    owners = {owner.id: owner for owner in monday.list_owners()}

    assert set(owners) == {str(u) for u in sandbox.state.users}
    grace = owners[str(min(sandbox.state.users))]
    assert (grace.first_name, grace.last_name, grace.active) == ("Grace", "Hopper", True)
    assert grace.teams == ("Sales EMEA", "Sales Americas")
    assert not any(o.active for o in owners.values() if o.last_name in {"Hamilton", "Berners-Lee"})


def test_batch_read_passes_limit_so_more_than_25_ids_all_come_back(monday, sandbox):
    sandbox.control.seed_items(60)
    ids = sorted(str(i) for i in sandbox.state.board.items)[:70]

    records = monday.batch_read("items", ids[::-1], properties=["status"])

    assert [r.id for r in records] == ids[::-1]  # not the silent 25, and in the caller's order
    assert len(api_calls(sandbox)) == 1


def test_assigning_the_person_and_status_writes_both_columns_in_one_mutation(monday, sandbox):
    item = a_lead(sandbox, people_owner=lambda v: v is None)
    user = next(u for u in sandbox.state.users.values() if u.status == "ACTIVE" and u.kind == "member")

    result = monday.batch_update(
        "items", [RecordUpdate(str(item.id), {"people_owner": str(user.id), "status": "Working"})]
    )

    assert not result.failed
    assert result.updated[0].properties["people_owner"] == str(user.id)
    assert result.updated[0].properties["status"] == "Working"
    stored = sandbox.state.board.items[item.id].values
    assert stored["people_owner"] == {"personsAndTeams": [{"id": user.id, "kind": "person"}]}
    assert stored["status"] == {"index": 1}
    # The board's columns once (to encode the values by type), then one mutation for both columns.
    assert [call["fields"] for call in api_calls(sandbox)] == [
        ["complexity", "boards"],
        ["complexity", "change_multiple_column_values"],
    ]


def test_batch_update_reports_each_failure_and_writes_the_rest_25_per_call(monday, sandbox):
    sandbox.control.seed_items(40)
    ids = sorted(str(i) for i in sandbox.state.board.items)[:50]
    updates = [RecordUpdate(i, {"status": "Won"}) for i in ids]
    updates[3] = RecordUpdate(ids[3], {"status": "Maybe"})  # not a label of the column
    updates.append(RecordUpdate("999999999", {"status": "Won"}))  # no such item
    updates.append(RecordUpdate(ids[5], {"no_such_column": "x"}))  # refused before sending

    result = monday.batch_update("items", updates)

    failed = {f.id: f for f in result.failed}
    assert set(failed) == {ids[3], ids[5], "999999999"}
    assert failed[ids[3]].code == "ColumnValueException" and "Working" in failed[ids[3]].message
    assert failed["999999999"].code == "ResourceNotFoundException"
    assert failed[ids[5]].code == "unknown_column"
    assert {r.id for r in result.updated} == set(ids) - {ids[3], ids[5]}
    assert sandbox.state.board.items[int(ids[3])].values["status"] != {"label": "Maybe"}
    mutations = [call for call in api_calls(sandbox) if "change_multiple_column_values" in call["fields"]]
    assert len(mutations) == 2  # 50 items sent: ceil(50 / 25) documents, plus one read of the columns


def test_a_stored_cursor_continues_with_next_items_page_instead_of_rereading(monday, sandbox):
    first = monday.changed_since("items", None, limit=7)
    sandbox.control.clear_requests()

    second = monday.changed_since("items", first.next_cursor, limit=7)

    assert len(second.records) == 7
    assert [call["fields"] for call in api_calls(sandbox)] == [["complexity", "next_items_page"]]


def test_an_expired_monday_cursor_falls_back_to_a_fresh_read_from_the_watermark(monday, sandbox):
    first = monday.changed_since("items", None, limit=7)
    assert FeedCursor.decode(first.next_cursor).mc
    assert sandbox.control.expire_cursors() > 0
    sandbox.control.clear_requests()

    rest = []
    cursor = first.next_cursor
    while True:
        page = monday.changed_since("items", cursor, limit=7)
        rest.extend(page.records)
        cursor = page.next_cursor
        if not page.has_more:
            break

    ids = [r.id for r in (*first.records, *rest)]
    assert sorted(ids) == sorted(str(i) for i in sandbox.state.board.items)  # nothing lost, nothing twice
    calls = [call["fields"][1] for call in api_calls(sandbox)]
    assert calls[:2] == ["next_items_page", "boards"]  # refused as expired, then read afresh
    assert api_calls(sandbox)[0]["status"] == 200


def test_a_cursor_past_its_60_minutes_is_not_even_tried(monday, sandbox):
    first = monday.changed_since("items", None, limit=7)
    monday.feed.clock = lambda: FeedCursor.decode(first.next_cursor).exp  # an hour later
    sandbox.control.clear_requests()

    page = monday.changed_since("items", first.next_cursor, limit=7)

    assert [r.id for r in page.records] == sorted(
        (str(i) for i in sandbox.state.board.items),
        key=lambda i: (sandbox.state.board.items[int(i)].updated_s, int(i)),
    )[7:14]
    calls = api_calls(sandbox)
    assert calls[0]["fields"][1] == "boards"  # a fresh read first: the old cursor is not sent
    assert all(call["status"] == 200 and not call.get("error") for call in calls)


def test_the_limiter_is_asked_for_the_querys_complexity_and_learns_monday_s_price(monday, sandbox, settings):
    asked: list[tuple[str, str, int]] = []
    limiter = SharedRateLimiter(budgets=rate_budgets(), max_inline_wait=0)
    original = limiter.acquire

    def recording(budget, account, weight=1, **kwargs):
        asked.append((budget, account, weight))
        return original(budget, account, weight, **kwargs)

    limiter.acquire = recording
    monday.api.http._limiter = limiter

    monday.changed_since("items", None, limit=7)
    monday.changed_since("items", None, limit=14)

    reported = [call["complexity"] for call in api_calls(sandbox)]
    assert [a[:2] for a in asked] == [("monday", str(sandbox.account_id))] * 2
    assert asked[0][2] > 1  # a static estimate before monday has said anything
    # Then monday's own price per item (reported for 7 items), for twice the items: a hair above the
    # real price (the query's fixed part is counted twice), never below it.
    assert asked[1][2] == math.ceil(reported[0] / 7 * 14)
    assert reported[1] <= asked[1][2] <= reported[1] * 1.01


def test_a_spent_complexity_budget_is_rate_limited_with_monday_s_retry_after(monday, sandbox):
    sandbox.control.configure(complexity_budget=1000)
    monday.get_record("items", str(min(sandbox.state.board.items)))  # one item fits the window

    with pytest.raises(RateLimited) as caught:
        monday.changed_since("items", None, limit=100)

    assert caught.value.code == "COMPLEXITY_BUDGET_EXHAUSTED"
    assert 50 <= caught.value.retry_after <= 60  # the window's reset, not our backoff
    assert caught.value.status == 429


def test_a_revoked_api_token_marks_the_connection_for_reconnection(sandbox_settings, sandbox, organization):
    from crm_integrations.core import registry

    token = sandbox.control.token("personal")
    client = registry.get_client(token_connection(organization, sandbox, token))
    sandbox.control.revoke_token(token)

    with pytest.raises(AuthRevoked):
        client.list_owners()

    client.connection.refresh_from_db()
    assert client.connection.status == ConnectionStatus.NEEDS_REAUTH
    assert "monday rejected the API token" in client.connection.status_reason
    with pytest.raises(AuthRevoked):  # nothing is sent for a connection that needs reconnecting
        client.list_owners()
    assert ProviderApiCall.objects.filter(provider="monday", status_code=401).count() == 1


def test_no_board_and_unknown_items_are_clear_errors(monday, sandbox):
    with pytest.raises(NotFound):
        monday.get_record("items", "123")
    with pytest.raises(InvalidRequest):
        monday.list_fields("contacts")
    monday.connection.settings = {}
    with pytest.raises(InvalidRequest) as caught:
        monday.changed_since("items", None)
    assert caught.value.code == "no_board"


def test_every_call_pins_the_api_version_and_sends_the_bare_token(monday, sandbox):
    monday.list_owners()

    [call] = api_calls(sandbox)
    assert call["apiVersion"] == "2026-10"
    assert call["tokenKind"] == "personal"


def test_create_item_round_trips_through_normalization(monday, sandbox):
    created = monday.create_item(
        "Ada Example",
        {"email": "ada@example.com", "status": "New", "numbers_amount": 2500, "date_received": "2026-11-20"},
    )

    record = monday.get_record("items", created.id)
    assert record.properties["email"] == "ada@example.com"
    assert record.properties["numbers_amount"] == "2500"
    assert record.properties["date_received"] == "2026-11-20"
    stored = sandbox.state.board.items[int(created.id)].values
    assert json.loads(json.dumps(stored["status"])) == {"index": 0}
