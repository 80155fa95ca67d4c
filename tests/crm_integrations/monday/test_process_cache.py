"""What a monday client keeps beyond its task (crm_integrations/monday/process_cache.py): the board's
columns and monday's learned prices, per connection, so a burst's rounds (one client each) do not read
the columns again nor price their first mutation from the static guess."""

from __future__ import annotations

from crm_integrations.core import registry
from crm_integrations.core.types import RecordUpdate
from crm_integrations.monday.client import MondayClient
from crm_integrations.monday.process_cache import ExpiringCache
from devtools.sandboxes.monday.state import Column

from .conftest import api_calls


def new_client(connection) -> MondayClient:
    """What the registry hands the next task."""
    client = registry.get_client(connection)
    assert isinstance(client, MondayClient)
    return client


def fields_of_calls(sandbox) -> list[list[str]]:
    return [call["fields"] for call in api_calls(sandbox)]


def unassigned_ids(sandbox, count: int) -> list[str]:
    items = sorted(sandbox.state.board.items.values(), key=lambda item: item.id)
    return [str(item.id) for item in items if not item.values.get("people_owner")][:count]


def a_user_id(sandbox) -> str:
    return str(
        next(u.id for u in sandbox.state.users.values() if u.status == "ACTIVE" and u.kind == "member")
    )


def test_the_next_tasks_client_writes_without_reading_the_boards_columns_again(connection, sandbox):
    first, second = unassigned_ids(sandbox, 2)
    user = a_user_id(sandbox)

    assert (
        not new_client(connection).batch_update("items", [RecordUpdate(first, {"people_owner": user})]).failed
    )
    result = new_client(connection).batch_update("items", [RecordUpdate(second, {"people_owner": user})])

    assert not result.failed
    assert sandbox.state.board.items[int(second)].values["people_owner"]["personsAndTeams"][0]["id"] == int(
        user
    )
    assert fields_of_calls(sandbox) == [
        ["complexity", "boards"],  # the first round reads the columns to encode the person column
        ["complexity", "change_multiple_column_values"],
        ["complexity", "change_multiple_column_values"],  # the second round only writes
    ]


def test_a_column_added_after_the_columns_were_kept_is_read_again_and_written(connection, sandbox):
    item = unassigned_ids(sandbox, 1)[0]
    new_client(connection).columns.layout(str(sandbox.board_id))
    with sandbox.state.lock:
        sandbox.state.board.columns["text_region"] = Column("text_region", "Region", "text")

    result = new_client(connection).batch_update("items", [RecordUpdate(item, {"text_region": "EMEA"})])

    assert not result.failed
    assert sandbox.state.board.items[int(item)].values["text_region"] == "EMEA"
    assert [f for f in fields_of_calls(sandbox) if "boards" in f] == [["complexity", "boards"]] * 2


def test_the_next_tasks_first_mutation_is_priced_at_monday_s_reported_price(connection, sandbox):
    first = unassigned_ids(sandbox, 1)[0]
    user = a_user_id(sandbox)
    new_client(connection).batch_update("items", [RecordUpdate(first, {"people_owner": user})])
    reported = next(
        c["complexity"] for c in api_calls(sandbox) if "change_multiple_column_values" in c["fields"]
    )

    client = new_client(connection)

    assert client.api.meter.learned("update_items") == reported
    assert client.api.meter.estimate("update_items", 25, 1).weight == 25 * reported


def test_an_expiring_cache_forgets_an_entry_after_its_ttl():
    now = [100.0]
    cache: ExpiringCache[str] = ExpiringCache(300.0, clock=lambda: now[0])
    cache.put("board", "columns")

    now[0] += 299.0
    kept = cache.get("board")
    now[0] += 1.0

    assert kept == "columns"
    assert cache.get("board") is None


def test_a_dropdown_label_added_after_the_columns_were_kept_is_read_again_and_written(connection, sandbox):
    item = unassigned_ids(sandbox, 1)[0]
    new_client(connection).columns.layout(str(sandbox.board_id))
    labels = [{"id": 1, "name": "Inbound"}, {"id": 2, "name": "Partner"}]
    with sandbox.state.lock:
        sandbox.state.board.columns["dropdown_channel"] = Column(
            "dropdown_channel", "Channel", "dropdown", {"labels": labels[:1]}
        )
    new_client(connection).columns.layout(str(sandbox.board_id), refresh=True)  # kept with one label
    with sandbox.state.lock:
        sandbox.state.board.columns["dropdown_channel"].settings = {"labels": labels}

    result = new_client(connection).batch_update(
        "items", [RecordUpdate(item, {"dropdown_channel": "Partner"})]
    )

    assert not result.failed
    assert sandbox.state.board.items[int(item)].values["dropdown_channel"] == {"ids": [2]}


def test_a_value_the_board_refuses_fails_that_item_after_one_fresh_look(connection, sandbox):
    item = unassigned_ids(sandbox, 1)[0]
    new_client(connection).columns.layout(str(sandbox.board_id))

    result = new_client(connection).batch_update("items", [RecordUpdate(item, {"no_such_column": "x"})])

    assert [f.code for f in result.failed] == ["unknown_column"]
    assert [f for f in fields_of_calls(sandbox) if "boards" in f] == [["complexity", "boards"]] * 2
