"""The sandbox's /v2: real validation against monday's schema, monday's error shapes, limits and writes."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from .conftest import gql

ITEMS = "query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 500) { cursor items { id } } } }"


def test_a_malformed_query_gets_monday_s_parse_error_with_http_200(sandbox):
    status, body = gql(sandbox, "query { boards(ids: [1]) { id name ")

    assert status == 200
    [error] = body["errors"]
    assert error["message"].startswith("Parse error on")
    assert error["locations"][0]["line"] == 1
    assert body["account_id"] == sandbox.account_id and body["extensions"]["request_id"]
    assert "data" not in body


def test_a_query_the_schema_does_not_allow_is_refused_with_located_coded_errors(sandbox):
    status, body = gql(sandbox, "query { me { id enabled is_admin } boards(idz: [1]) { id } }")

    assert status == 200
    found = {(e["message"], e["extensions"]["code"]) for e in body["errors"]}
    # 2026-10 removed User.enabled / is_admin: validated against the real schema.
    assert ("Cannot query field 'enabled' on type 'User'.", "undefinedField") in found
    assert ("Cannot query field 'is_admin' on type 'User'.", "undefinedField") in found
    assert any(code == "argumentNotAccepted" for _, code in found)
    assert all(e["locations"] for e in body["errors"]) and "data" not in body


def test_variables_must_be_an_object_and_a_token_is_required(sandbox):
    as_string = requests.post(
        f"{sandbox.base_url}/v2",
        json={"query": "query { me { id } }", "variables": "{}"},
        headers={"Authorization": sandbox.api_token},
        timeout=10,
    )
    anonymous = requests.post(f"{sandbox.base_url}/v2", json={"query": "query { me { id } }"}, timeout=10)
    bearer = requests.post(
        f"{sandbox.base_url}/v2",
        json={"query": "query { me { id } }"},
        headers={"Authorization": f"Bearer {sandbox.api_token}"},
        timeout=10,
    )

    assert as_string.status_code == 400
    assert anonymous.status_code == 401 and anonymous.json()["errors"][0]["message"] == "Not Authenticated"
    assert bearer.status_code == 200  # both header forms are accepted


def test_items_by_id_silently_stop_at_25_without_a_limit(sandbox):
    ids = [str(i) for i in sorted(sandbox.state.board.items)]

    _, default = gql(sandbox, "query ($ids: [ID!]) { items(ids: $ids) { id } }", {"ids": ids})
    _, limited = gql(sandbox, "query ($ids: [ID!]) { items(ids: $ids, limit: 100) { id } }", {"ids": ids})

    assert len(default["data"]["items"]) == 25
    assert len(limited["data"]["items"]) == 30


def test_items_page_refuses_more_than_500_and_pages_with_cursors_that_expire(sandbox):
    _, too_many = gql(
        sandbox,
        "query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 501) { cursor } } }",
        {"b": [str(sandbox.board_id)]},
    )
    assert too_many["errors"][0]["extensions"]["code"] == "InvalidArgumentException"

    _, first = gql(
        sandbox,
        "query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 20) { cursor items { id } } } }",
        {"b": [str(sandbox.board_id)]},
    )
    cursor = first["data"]["boards"][0]["items_page"]["cursor"]
    nxt = "query ($c: String!) { next_items_page(cursor: $c, limit: 20) { cursor items { id } } }"
    _, second = gql(sandbox, nxt, {"c": cursor})
    assert len(second["data"]["next_items_page"]["items"]) == 10
    assert second["data"]["next_items_page"]["cursor"] is None  # the last page
    _, again = gql(sandbox, nxt, {"c": cursor})
    assert again["data"]["next_items_page"]["items"] == second["data"]["next_items_page"]["items"]  # reusable

    sandbox.control.expire_cursors()
    _, expired = gql(sandbox, nxt, {"c": cursor})
    assert expired["errors"][0]["extensions"]["code"] == "CursorExpiredError"
    assert expired["errors"][0]["path"] == ["next_items_page"]


def test_complexity_is_reported_and_a_spent_budget_is_a_429_with_retry_after(sandbox):
    sandbox.control.configure(complexity_budget=800)
    query = (
        "query ($b: [ID!]) { complexity { before query after reset_in_x_seconds } "
        + ITEMS[len("query ($b: [ID!]) {") :]
    )

    _, first = gql(sandbox, query, {"b": [str(sandbox.board_id)]})
    response = sandbox.control.graphql(query, {"b": [str(sandbox.board_id)]}, token=sandbox.api_token)

    complexity = first["data"]["complexity"]
    assert complexity["before"] == 800 and complexity["after"] == 800 - complexity["query"]
    assert complexity["query"] > 500  # 500 items could come back
    assert response.status_code == 429
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "COMPLEXITY_BUDGET_EXHAUSTED"
    assert error["extensions"]["retry_in_seconds"] == int(response.headers["Retry-After"]) > 0


def test_an_app_token_without_the_scope_gets_missing_required_permissions(sandbox):
    token = sandbox.control.token("oauth", scopes=["me:read"])

    _, body = gql(sandbox, "query { me { id } users { id } }", token=token)

    assert body["data"]["me"]["id"]
    assert body["data"]["users"] is None
    [error] = body["errors"]
    assert (error["path"], error["extensions"]["code"]) == (["users"], "missingRequiredPermissions")


def test_writes_take_json_strings_check_labels_and_replace_people(sandbox):
    item = min(sandbox.state.board.items)
    people = sorted(u.id for u in sandbox.state.users.values())[:2]
    mutation = """mutation ($b: ID!, $i: ID, $v: JSON!, $c: Boolean) {
      change_multiple_column_values(
        board_id: $b, item_id: $i, column_values: $v, create_labels_if_missing: $c
      ) {
        id
        column_values(ids: ["status", "people_owner"]) {
          id text ... on PeopleValue { persons_and_teams { id } }
        }
      }
    }"""

    def write(values: dict, create: bool = False) -> dict:
        return gql(
            sandbox,
            mutation,
            {"b": str(sandbox.board_id), "i": str(item), "v": json.dumps(values), "c": create},
        )[1]

    bad = write({"status": {"label": "Maybe"}})
    assert bad["errors"][0]["extensions"]["code"] == "ColumnValueException"
    assert "New, Working, Won, Lost, Excluded" in bad["errors"][0]["message"]
    assert write({"status": {"label": "Maybe"}}, create=True)["data"]["change_multiple_column_values"]
    write({"people_owner": f"{people[0]}, {people[1]}"})
    replaced = write({"people_owner": {"personsAndTeams": [{"id": people[1], "kind": "person"}]}})
    values = {v["id"]: v for v in replaced["data"]["change_multiple_column_values"]["column_values"]}
    assert values["status"]["text"] == "Maybe"
    assert values["people_owner"]["persons_and_teams"] == [{"id": str(people[1])}]  # replaced, not added


def test_the_sandbox_does_not_import_django():
    code = (
        "import sys, devtools.sandboxes.monday as m; m.start_sandbox().stop(); print('django' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)

    assert out.stdout.strip() == "False"
