"""CRM objects v3: get, create, and batch read/update in chunks of 100 (HubSpot's batch limit)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.types import (
    BatchUpdateResult,
    CrmRecord,
    PropertyHistory,
    RecordFailure,
    RecordUpdate,
)

from . import normalize
from .api import HubSpotApi
from .errors import batch_errors, failures_for
from .object_types import association_type_ids, object_type

BATCH_LIMIT = 100
OBJECT = "/crm/v3/objects/{objectType}/{objectId}"
OBJECTS = "/crm/v3/objects/{objectType}"
BATCH_READ = "/crm/v3/objects/{objectType}/batch/read"
BATCH_UPDATE = "/crm/v3/objects/{objectType}/batch/update"

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(ids: Sequence[str]) -> list[str]:
    """Ids as strings, duplicates dropped, order kept."""
    return list(dict.fromkeys(str(item) for item in ids))


def _results(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body.get("results") or []


def _records(name: str, body: dict[str, Any]) -> list[CrmRecord]:
    return [normalize.record(name, item) for item in _results(body)]


def _wire_value(value: Any) -> Any:
    """``None`` clears a property; HubSpot takes ``""`` for that."""
    return "" if value is None else value


class ObjectsApi:
    def __init__(self, api: HubSpotApi) -> None:
        self.api = api

    def get(self, kind: str, record_id: str, *, properties: Sequence[str] = ()) -> CrmRecord:
        """One record; ``NotFound`` when it does not exist or is archived."""
        name = object_type(kind).name
        params = {"properties": ",".join(properties)} if properties else None
        body = self.api.json(
            "GET", OBJECT, path_params={"objectType": name, "objectId": record_id}, params=params
        )
        return normalize.record(name, body)

    def batch_read(self, kind: str, ids: Sequence[str], *, properties: Sequence[str] = ()) -> list[CrmRecord]:
        """Records in the order of ``ids``; unknown or archived ids are left out (HubSpot's 207)."""
        answers = self.api.http.call_all(self.read_calls(kind, ids, properties))
        found = {record.id: record for answer in answers for record in answer}
        return [found[item] for item in unique(ids) if item in found]

    def read_calls(
        self, kind: str, ids: Sequence[str], properties: Sequence[str] = ()
    ) -> list[Callable[[], list[CrmRecord]]]:
        """``batch_read`` as one call per 100 ids, each answering its records (in no set order), for
        the caller to make together with others (crm_integrations/hubspot/expand.py)."""
        name = object_type(kind).name
        return self._chunk_calls(
            name, ids, {"properties": list(properties)}, lambda body: _records(name, body)
        )

    def history(self, kind: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, PropertyHistory]:
        """Each record's ``propertiesWithHistory`` (newest first), by id: one batch read per 100."""
        body = {"properties": [], "propertiesWithHistory": list(properties)}
        calls = self._chunk_calls(object_type(kind).name, ids, body, _results)
        answers = self.api.http.call_all(calls)
        return {str(item["id"]): normalize.history(item) for answer in answers for item in answer}

    def _chunk_calls(
        self, name: str, ids: Sequence[str], body: dict[str, Any], answer: Callable[[dict[str, Any]], T]
    ) -> list[Callable[[], T]]:
        """A ``batch/read`` call per 100 ids, its answer passed through ``answer``."""
        return [
            partial(self._read_chunk, name, {**body, "inputs": [{"id": item} for item in chunk]}, answer)
            for chunk in chunks(unique(ids), BATCH_LIMIT)
        ]

    def _read_chunk(self, name: str, body: dict[str, Any], answer: Callable[[dict[str, Any]], T]) -> T:
        # A read: safe to repeat after a 5xx.
        path = {"objectType": name}
        return answer(self.api.json("POST", BATCH_READ, path_params=path, json=body, idempotent=True))

    def create(
        self,
        kind: str,
        properties: Mapping[str, Any],
        associations: Mapping[str, Sequence[str]] | None = None,
    ) -> CrmRecord:
        """Create one record with inline associations (a lead needs its contact here, not afterwards)."""
        name = object_type(kind).name
        body = create_input(name, properties, associations or {})
        created = self.api.json("POST", OBJECTS, path_params={"objectType": name}, json=body)
        return normalize.record(name, created)

    def batch_update(self, kind: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        """Write in chunks of 100; records HubSpot rejects come back in ``failed``.

        A 207 names the records it could not update. A 400 (one invalid value fails the whole
        batch, nothing is written) is split in halves until the bad values are alone, so one bad
        value costs a few calls instead of failing a hundred good updates. Records sent the same
        values stay together: if those values are rejected, they are rejected for all of them.
        """
        name = object_type(kind).name
        merged: dict[str, dict[str, Any]] = {}
        for update in updates:  # HubSpot rejects a batch naming one id twice: the later values win
            merged.setdefault(str(update.id), {}).update(update.properties)
        pending = list(merged.items())
        updated: list[CrmRecord] = []
        failed: list[RecordFailure] = []
        for chunk in chunks(pending, BATCH_LIMIT):
            done, errors = self._update_chunk(name, chunk)
            updated.extend(done)
            failed.extend(errors)
        return BatchUpdateResult(updated=tuple(updated), failed=tuple(failed))

    def _update_chunk(
        self, name: str, chunk: Sequence[tuple[str, dict[str, Any]]]
    ) -> tuple[list[CrmRecord], list[RecordFailure]]:
        inputs = [
            {"id": record_id, "properties": {key: _wire_value(value) for key, value in values.items()}}
            for record_id, values in chunk
        ]
        try:
            response = self.api.call(
                "POST", BATCH_UPDATE, path_params={"objectType": name}, json={"inputs": inputs}, write=True
            )
        except InvalidRequest as error:
            if error.status != 400:
                raise
            groups = _by_values(chunk)
            if len(groups) == 1:
                return [], [
                    RecordFailure(id=record_id, message=error.message, code=error.code or "")
                    for record_id, _ in chunk
                ]
            half = len(groups) // 2
            first = self._update_chunk(name, [item for group in groups[:half] for item in group])
            second = self._update_chunk(name, [item for group in groups[half:] for item in group])
            return first[0] + second[0], first[1] + second[1]
        body = response.json() if response.content else {}
        records = [normalize.record(name, item) for item in body.get("results") or []]
        returned = {record.id for record in records}
        missing = [record_id for record_id, _ in chunk if record_id not in returned]
        return records, failures_for(missing, batch_errors(body)) if missing else []


def _by_values(chunk: Sequence[tuple[str, dict[str, Any]]]) -> list[list[tuple[str, dict[str, Any]]]]:
    """Updates grouped by identical values, in order of first appearance."""
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for item in chunk:
        groups.setdefault(json.dumps(item[1], sort_keys=True, default=str), []).append(item)
    return list(groups.values())


def create_input(
    name: str, properties: Mapping[str, Any], associations: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """A ``SimplePublicObjectInputForCreate``: properties as HubSpot takes them, associations inline."""
    return {
        "properties": {key: _wire_value(value) for key, value in properties.items()},
        "associations": [
            {"to": {"id": str(to_id)}, "types": types}
            for to_kind, to_ids in associations.items()
            for to_id, types in _association_specs(name, to_kind, to_ids)
        ],
    }


def _association_specs(from_kind: str, to_kind: str, to_ids: Sequence[str]) -> Iterator[tuple[str, list]]:
    """The first target gets the primary type where the pair has one (HubSpot adds the unlabeled one)."""
    primary, unlabeled = association_type_ids(from_kind, to_kind)
    for index, to_id in enumerate(unique(to_ids)):
        type_id = primary if index == 0 and primary is not None else unlabeled
        yield to_id, [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
