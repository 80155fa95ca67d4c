"""Records by id (SOQL ``Id IN``, 200 a query) and writes through sObject Collections.

``PATCH composite/sobjects`` takes at most 200 records a call with ``allOrNone: false``: each record's
SaveResult comes back in request order (HTTP 200 even when some failed), so one lead's failure is its
own outcome. Writes carry ``Sforce-Auto-Assign: FALSE`` (crm_integrations/salesforce/api.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from crm_integrations.core.errors import NotFound
from crm_integrations.core.types import BatchUpdateResult, CrmRecord, RecordFailure, RecordUpdate

from . import normalize, soql
from .api import SalesforceApi
from .errors import save_failure

#: Records per ``Id IN`` query and per sObject Collections call (Salesforce's limit for the latter).
BATCH_LIMIT = 200
COLLECTIONS = "/services/data/{version}/composite/sobjects"

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(str(item) for item in ids))


class ObjectsApi:
    def __init__(self, api: SalesforceApi) -> None:
        self.api = api

    def select(self, kind: str, properties: Sequence[str], where: str, *, tail: str = "") -> list[CrmRecord]:
        """``SELECT base + properties FROM <sObject> WHERE where tail``, every page."""
        fields = soql.field_list([*normalize.base_fields(kind), *properties])
        text = soql.select(fields, normalize.sobject(kind), where, tail)
        return [normalize.record(kind, body) for body in self.api.query(text)]

    def batch_read(self, kind: str, ids: Sequence[str], *, properties: Sequence[str] = ()) -> list[CrmRecord]:
        """Records in the order of ``ids``; ids that are unknown (or not Salesforce ids) left out."""
        wanted = [record_id for record_id in unique(ids) if soql.is_id(record_id)]
        found: dict[str, CrmRecord] = {}
        for chunk in chunks(wanted, BATCH_LIMIT):
            for record in self.select(kind, properties, f"Id IN {soql.id_list(chunk)}"):
                found[record.id] = record
                found.setdefault(record.id[:15], record)  # a 15-character id asks for the same record
        return [found[record_id] for record_id in wanted if record_id in found]

    def get(self, kind: str, record_id: str, *, properties: Sequence[str] = ()) -> CrmRecord:
        found = self.batch_read(kind, [record_id], properties=properties)
        if not found:
            raise NotFound(f"Salesforce {normalize.sobject(kind)} {str(record_id)[:40]} does not exist.")
        return found[0]

    def batch_update(self, kind: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        """One sObject Collections call per 200 records; each SaveResult is that record's outcome."""
        name = normalize.sobject(kind)
        updated: list[CrmRecord] = []
        failed: list[RecordFailure] = []
        for update in updates:
            if not soql.is_id(update.id):
                failed.append(RecordFailure(update.id, "Not a Salesforce id.", "INVALID_ID"))
        valid = [update for update in updates if soql.is_id(update.id)]
        for chunk in chunks(valid, BATCH_LIMIT):
            body = {
                "allOrNone": False,
                "records": [
                    {"attributes": {"type": name}, "id": update.id, **update.properties} for update in chunk
                ],
            }
            results = self.api.json("PATCH", COLLECTIONS, json=body) or []
            for update, result in zip(chunk, _padded(results, len(chunk)), strict=True):
                if result.get("success"):
                    updated.append(CrmRecord(kind, update.id, dict(update.properties)))
                else:
                    code, message = save_failure(result)
                    failed.append(RecordFailure(update.id, message, code))
        return BatchUpdateResult(updated=tuple(updated), failed=tuple(failed))


def _padded(results: Any, size: int) -> list[Mapping[str, Any]]:
    """The SaveResults, one per record sent (a short answer leaves the rest failed, not dropped)."""
    items = [item for item in results if isinstance(item, Mapping)] if isinstance(results, list) else []
    missing = {"success": False, "errors": [{"statusCode": "NO_RESULT", "message": "No result."}]}
    return (items + [missing] * size)[:size]
