"""Token lifetimes, complexity windows and cursor lifetimes follow the sandbox's clock
(devtools/sandboxes/clock.py), so these tests move it instead of waiting."""

from __future__ import annotations

from .conftest import gql

ME = "query { me { id } }"
ITEMS = "query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 10) { cursor items { id } } } }"
#: Costs more than 500 points (500 items could come back), so a budget of 800 pays for one.
BIG = "query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 500) { cursor items { id } } } }"
NEXT = "query ($c: String!) { next_items_page(cursor: $c, limit: 10) { cursor items { id } } }"


def test_an_app_token_expires_when_its_lifetime_has_passed(sandbox):
    token = sandbox.control.token("oauth", scopes=["me:read"], expires_in=60)
    sandbox.control.advance_clock(58)
    assert gql(sandbox, ME, token=token)[0] == 200
    sandbox.control.advance_clock(4)
    status, body = gql(sandbox, ME, token=token)
    assert status == 401, body
    assert gql(sandbox, ME)[0] == 200  # the personal token never expires


def test_a_spent_complexity_budget_comes_back_when_the_window_has_passed(sandbox):
    sandbox.control.configure(complexity_budget=800, complexity_window=60)
    board = {"b": [str(sandbox.board_id)]}
    assert gql(sandbox, BIG, board)[0] == 200
    assert gql(sandbox, BIG, board)[0] == 429
    sandbox.control.advance_clock(30)
    assert gql(sandbox, BIG, board)[0] == 429
    sandbox.control.advance_clock(31)
    assert gql(sandbox, BIG, board)[0] == 200


def test_a_cursor_expires_an_hour_after_the_first_page(sandbox):
    _, first = gql(sandbox, ITEMS, {"b": [str(sandbox.board_id)]})
    cursor = first["data"]["boards"][0]["items_page"]["cursor"]
    sandbox.control.advance_clock(3590)
    _, second = gql(sandbox, NEXT, {"c": cursor})
    assert len(second["data"]["next_items_page"]["items"]) == 10
    sandbox.control.advance_clock(11)
    _, expired = gql(sandbox, NEXT, {"c": second["data"]["next_items_page"]["cursor"]})
    assert expired["errors"][0]["extensions"]["code"] == "CursorExpiredError"
