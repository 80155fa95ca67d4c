"""Reading 500 items takes a handful of calls: pages of up to 500, reads by id in hundreds."""

from __future__ import annotations

import math
import threading

import pytest

from crm_integrations.monday.api import MondayApi

from ..http.support import threads_calling
from .conftest import api_calls


def drain(monday, limit: int) -> tuple[list, int]:
    records, cursor, pages = [], None, 0
    while True:
        page = monday.changed_since("items", cursor, limit=limit)
        records.extend(page.records)
        cursor, pages = page.next_cursor, pages + 1
        if not page.has_more:
            return records, pages


def test_reading_500_items_takes_one_call_and_by_id_five(monday, sandbox):
    sandbox.control.reset(seedItems=500)

    records, _ = drain(monday, 500)
    assert len({r.id for r in records}) == 500
    assert len(api_calls(sandbox)) == 1  # one items_page of 500

    sandbox.control.clear_requests()
    again = monday.batch_read("items", [r.id for r in records])
    assert len(again) == 500
    assert len(api_calls(sandbox)) == math.ceil(500 / 100)  # items(ids:, limit:) in hundreds


def test_paging_500_items_100_at_a_time_stays_near_one_call_per_page(monday, sandbox):
    sandbox.control.reset(seedItems=500)

    records, pages = drain(monday, 100)

    assert len(records) == len({r.id for r in records}) == 500
    assert pages == 5
    assert len(api_calls(sandbox)) <= 6  # each page continues monday's cursor; no re-reads of the board
    assert (
        sum(call["complexity"] for call in api_calls(sandbox)) < 5_000_000 // 10
    )  # a tenth of a minute's budget


@pytest.mark.django_db(transaction=True)
def test_reading_250_items_by_id_sends_three_queries_at_once_in_the_callers_order(
    monday, sandbox, monkeypatch
):
    # Outside a transaction the chunks go out together (crm_integrations/core/http/concurrent.py),
    # each from a pool thread, each priced against the complexity budget as before.
    sandbox.control.reset(seedItems=250)
    ids = sorted((str(i) for i in sandbox.state.board.items), key=int)
    threads = threads_calling(monkeypatch, MondayApi, "query")
    sandbox.control.clear_requests()

    records = monday.batch_read("items", ids[::-1])

    assert [r.id for r in records] == ids[::-1]
    assert len(api_calls(sandbox)) == 3
    assert len(threads) == 3 and threading.current_thread().name not in threads
