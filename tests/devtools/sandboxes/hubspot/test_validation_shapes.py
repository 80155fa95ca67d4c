"""The sandbox checks a request's shape against HubSpot's OpenAPI files once: a request differing from
one found valid only in the digits of its ids is not checked again; every other request is, and a
refused one every time (devtools/sandboxes/hubspot/validation.py, ``_shape``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devtools.sandboxes.hubspot import validation

OBJECTS = "crm-objects-v3.json"


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The paths openapi-core checked (the objects file's validator, spied on)."""
    validation._VALID.clear()
    checked: list[str] = []
    spec = validation.openapi_for(OBJECTS, True)
    original = spec.validate_request

    def spy(request: Any) -> Any:
        checked.append(request.path)
        return original(request)

    monkeypatch.setattr(spec, "validate_request", spy)
    return checked


def lead_ids(api, count: int, checks: list[str]) -> list[str]:
    """Leads' ids, read before the test's own requests: that read's check is forgotten."""
    found = [item["id"] for item in api.get(f"/crm/v3/objects/leads?limit={count}").json()["results"]]
    assert len({len(lead_id) for lead_id in found}) == 1  # ids of one length: one shape
    checks.clear()
    validation._VALID.clear()
    return found


def read(api, ids: list[str], properties: Any = ("hs_lead_name",)) -> Any:
    body = {"inputs": [{"id": lead_id} for lead_id in ids], "properties": list(properties)}
    return api.post("/crm/v3/objects/leads/batch/read", body)


def test_a_burst_s_reads_are_checked_once_and_answered_each(api, checks):
    first, second, third = lead_ids(api, 3, checks)

    answers = [read(api, [first]), read(api, [second]), read(api, [third])]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.json()["results"][0]["id"] for answer in answers] == [first, second, third]
    assert len(checks) == 1
    read(api, [first, second])  # two inputs: another shape
    read(api, [first], properties=("hs_lead_name", "hubspot_owner_id"))  # other property names
    api.get(f"/crm/v3/objects/leads/{first}")
    api.get(f"/crm/v3/objects/leads/{second}")  # the same path but for the id's digits
    assert len(checks) == 4


def test_a_refused_request_is_checked_and_refused_every_time_even_beside_a_valid_one(api, checks):
    (lead_id,) = lead_ids(api, 1, checks)
    assert read(api, [lead_id]).status_code == 200

    for _ in range(2):
        refused = api.post(
            "/crm/v3/objects/leads/batch/read", {"inputs": [{"id": lead_id}], "properties": "hs_lead_name"}
        )
        assert refused.status_code == 400
        assert refused.json()["category"] == "VALIDATION_ERROR"
    no_inputs = api.post("/crm/v3/objects/leads/batch/read", {"properties": ["hs_lead_name"]})
    assert no_inputs.status_code == 400
    assert len(checks) == 4


def test_the_shapes_remembered_are_bounded(api, checks, monkeypatch):
    monkeypatch.setattr(validation, "VALID_SHAPES", 2)
    ids = lead_ids(api, 3, checks)
    for count in (1, 2, 3):  # three shapes: the third finds the set full and begins it again
        read(api, ids[:count])
    assert len(validation._VALID) == 1
    read(api, ids[:1])  # forgotten: checked again
    assert len(checks) == 4


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item)


@pytest.mark.parametrize("name", validation.REQUEST_VALIDATED)
def test_no_checked_schema_tells_one_digit_string_from_another_of_its_length(name):
    """What makes zeroing digits safe: no enum holds a digit string, every pattern takes any digit
    string of a length as any other (any character, or digits), string formats judge them all alike (none is
    a date-time or a uuid; binary is not checked), and parameters are in the path or the query
    (kept whole), never a header or a cookie."""
    spec = validation.relaxed(validation.load_spec(name), for_requests=True)
    nodes = list(_nodes(spec))
    enums = [value for node in nodes if isinstance(node.get("enum"), list) for value in node["enum"]]
    assert not [value for value in enums if isinstance(value, str) and value.isdigit()]
    assert {node["pattern"] for node in nodes if isinstance(node.get("pattern"), str)} <= {".+", "\\d+"}
    formats = {node["format"] for node in nodes if node.get("type") == "string" and "format" in node}
    assert formats <= {"date-time", "uuid", "binary"}
    places = {
        parameter["in"]
        for operations in spec["paths"].values()
        for parameter in [
            *operations.get("parameters", []),
            *(
                item
                for operation in operations.values()
                if isinstance(operation, dict)
                for item in operation.get("parameters", [])
            ),
        ]
        if "in" in parameter
    }
    assert places <= {"path", "query"}


def test_digit_keys_are_kept_so_that_two_of_them_never_fold_into_one():
    """Zeroed keys ``"12"`` and ``"34"`` would both be ``"00"``, and a body with a bad value under one
    of them would take the shape of a valid one."""

    def shape(body: dict[str, Any]) -> bytes | None:
        environ = EnvironBuilder(method="POST", path="/crm/v3/objects/deals", json=body).get_environ()
        return validation._shape(Request(environ))

    both = shape({"properties": {"12": {"nested": "x"}, "34": "ok"}})
    assert both != shape({"properties": {"00": "ok"}})
    assert shape({"properties": {"amount": "1500"}}) == shape({"properties": {"amount": "2700"}})
    assert shape({"properties": {"amount": "1500"}}) != shape({"properties": {"amount": "150"}})
