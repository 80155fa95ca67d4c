"""changed_since against a scripted HubSpot search: the 10,000-result cap, records changing while
they are paged, crowded instants, the index lag, retries. HubSpot's documented search behaviour
is reproduced by ``FakeSearch`` (one sort, ties in no particular order, no paging past the cap)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
import responses

from crm_integrations.core.errors import InvalidRequest, RateLimited
from crm_integrations.hubspot.search import SearchCursor
from crm_integrations.models import ProviderApiCall

from .conftest import OFFLINE_API

SEARCH_URL = f"{OFFLINE_API}/crm/v3/objects/leads/search"
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NOW = (BASE_MS + 10_000_000) / 1000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class FakeSearch:
    """Leads as ``{id: modified ms}``; answers ``POST .../search`` like HubSpot does."""

    def __init__(self, modified: dict[int, int], *, cap: int = 10_000, seed: int = 3) -> None:
        self.modified = dict(modified)
        self.cap = cap
        self.rng = random.Random(seed)
        self.bodies: list[dict] = []
        self.after_call = lambda number: None  # a hook to change records between calls

    def _value(self, record_id: int, name: str) -> int:
        return self.modified[record_id] if name == "hs_lastmodifieddate" else record_id

    def _matches(self, record_id: int, item: dict) -> bool:
        value, wanted = self._value(record_id, item["propertyName"]), int(item["value"])
        return {"GTE": value >= wanted, "LTE": value <= wanted, "EQ": value == wanted, "GT": value > wanted}[
            item["operator"]
        ]

    def __call__(self, request) -> tuple[int, dict, str]:
        body = json.loads(request.body)
        self.bodies.append(body)
        after = int(body.get("after") or 0)
        if after >= self.cap:
            return (
                400,
                {},
                json.dumps({"status": "error", "category": "VALIDATION_ERROR", "message": "paging past cap"}),
            )
        (group,) = body["filterGroups"]
        found = [i for i in self.modified if all(self._matches(i, item) for item in group["filters"])]
        self.rng.shuffle(found)  # ties come back in no particular order
        (sort,) = body["sorts"]
        found.sort(key=lambda i: self._value(i, sort["propertyName"]))
        end = min(after + body["limit"], self.cap, len(found))
        results = [
            {
                "id": str(i),
                "properties": {"hs_object_id": str(i), "hs_lastmodifieddate": iso(self.modified[i])},
                "updatedAt": iso(self.modified[i]),
            }
            for i in found[after:end]
        ]
        answer: dict = {"total": len(found), "results": results}
        if end < min(len(found), self.cap):
            answer["paging"] = {"next": {"after": str(end)}}
        self.after_call(len(self.bodies))
        return 200, {}, json.dumps(answer)


@pytest.fixture
def feed(offline_client):
    feed = offline_client.feed
    feed.clock = lambda: NOW
    return feed


def serve(mocked, fake: FakeSearch) -> FakeSearch:
    mocked.add_callback(responses.POST, SEARCH_URL, callback=fake, content_type="application/json")
    return fake


def drain(feed, limit: int, cursor: str | None = None) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    cursors: list[str] = []
    for _ in range(1000):
        page = feed.changed_since("leads", cursor, limit=limit)
        ids += [record.id for record in page.records]
        cursor = page.next_cursor
        cursors.append(cursor)
        if not page.has_more:
            return ids, cursors
    raise AssertionError("changed_since never finished")


def test_more_records_than_the_result_cap_are_all_read_once_without_paging_past_it(feed, mocked):
    fake = serve(mocked, FakeSearch({i: BASE_MS + i * 7 for i in range(1, 651)}, cap=250))
    feed.page_size = 100

    ids, _ = drain(feed, limit=100)

    assert ids == [str(i) for i in range(1, 651)]
    assert all("after" not in body for body in fake.bodies), "the cursor moves instead"
    assert all(body["limit"] <= 101 and body["sorts"][0]["direction"] == "ASCENDING" for body in fake.bodies)


def test_a_record_changed_while_others_are_paged_is_neither_skipped_nor_lost(feed, mocked):
    fake = serve(mocked, FakeSearch({i: BASE_MS + i * 1000 for i in range(1, 301)}))
    feed.page_size = 100

    def change_an_early_record(call_number: int) -> None:
        if call_number == 1:  # after the first page: record 50, already returned, is edited
            fake.modified[50] = BASE_MS + 5_000_000

    fake.after_call = change_an_early_record

    ids, _ = drain(feed, limit=1000)

    # With offsets, every record behind 50 would shift down one place and record 101 would be skipped.
    assert sorted(set(ids), key=int) == [str(i) for i in range(1, 301)]
    assert ids.count("50") == 2 and ids[-1] == "50"  # once as it was, once as changed
    assert len(ids) == 301


def test_a_crowded_instant_is_read_by_id_across_calls(feed, mocked):
    crowd = {i: BASE_MS for i in range(1, 451)}
    later = {i: BASE_MS + 500 + i for i in range(451, 481)}
    fake = serve(mocked, FakeSearch({**crowd, **later}))
    feed.page_size = 100

    ids, cursors = drain(feed, limit=70)

    assert sorted(ids, key=int) == [str(i) for i in range(1, 481)]
    assert len(ids) == len(set(ids)) == 480
    assert any(json.loads(cursor).get("gt") for cursor in cursors), "the instant was read by id"
    assert any(body["sorts"][0]["propertyName"] == "hs_object_id" for body in fake.bodies)
    assert json.loads(cursors[-1])["ts"] == later[480]


def test_records_newer_than_the_index_lag_wait_for_a_later_read(feed, mocked):
    now_ms = int(NOW * 1000)
    fake = serve(mocked, FakeSearch({1: now_ms - 60_000, 2: now_ms - 31_000, 3: now_ms - 5_000}))

    page = feed.changed_since("leads", None)

    assert [record.id for record in page.records] == ["1", "2"]
    upper = next(f for f in fake.bodies[0]["filterGroups"][0]["filters"] if f["operator"] == "LTE")
    assert int(upper["value"]) == now_ms - 30_000
    assert SearchCursor.decode(page.next_cursor).ts == now_ms - 31_000


def test_a_cursor_can_start_from_a_datetime_and_rejects_garbage(feed, mocked):
    fake = serve(mocked, FakeSearch({1: BASE_MS - 1, 2: BASE_MS, 3: BASE_MS + 1}))

    page = feed.changed_since("leads", "2026-01-01T00:00:00Z")

    assert [record.id for record in page.records] == ["2", "3"]
    assert fake.bodies[0]["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": str(BASE_MS),
    }
    with pytest.raises(InvalidRequest):
        feed.changed_since("leads", "not a cursor")


def test_contacts_are_searched_on_lastmodifieddate(offline_client, mocked):
    mocked.post(f"{OFFLINE_API}/crm/v3/objects/contacts/search", json={"total": 0, "results": []})

    offline_client.changed_since("contacts", None, properties=["email"])

    body = json.loads(mocked.calls[0].request.body)
    assert {f["propertyName"] for f in body["filterGroups"][0]["filters"]} == {"lastmodifieddate"}
    assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    assert body["properties"] == ["email", "lastmodifieddate"] and body["limit"] == 100


def test_search_is_retried_after_a_server_error_as_it_only_reads(feed, mocked):
    mocked.post(SEARCH_URL, status=502, json={"status": "error", "message": "Bad gateway"})
    serve(mocked, FakeSearch({1: BASE_MS}))

    page = feed.changed_since("leads", None)

    assert [record.id for record in page.records] == ["1"]
    attempts = list(
        ProviderApiCall.objects.order_by("attempt").values_list("endpoint", "status_code", "attempt")
    )
    assert attempts == [
        ("/crm/v3/objects/{objectType}/search", 502, 1),
        ("/crm/v3/objects/{objectType}/search", 200, 2),
    ]


def test_searches_spend_the_search_budget_not_the_general_one(offline_client, mocked, settings):
    settings.CRM_RATE_LIMITS = {"hubspot": [[100, 10]], "hubspot:search": [[1, 60]]}
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_INLINE_WAIT": 0.5}
    mocked.post(SEARCH_URL, json={"total": 0, "results": []})
    mocked.get(f"{OFFLINE_API}/crm/v3/objects/leads/7", json={"id": "7", "properties": {}})

    offline_client.changed_since("leads", None)
    with pytest.raises(RateLimited) as raised:
        offline_client.changed_since("leads", None)  # the search budget (1 a minute here) is spent

    assert raised.value.retry_after > 50
    assert offline_client.get_record("leads", "7").id == "7"  # the general budget is untouched
