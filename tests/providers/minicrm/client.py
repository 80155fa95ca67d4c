"""``MiniCrmClient``: the provider contract (crm_integrations/core/client.py) over Mini CRM's store.

Leads only (object type ``leads``), no associations, tasks, accounts or deals. Every call first
checks the connection's API key against the store, as Mini CRM's API would. What the product asks of
it: the intake's batch reads and the change feed (polling, the mapping wizard's preview), the
routing write-back (``batch_update`` of ``owner_id``), the reps sync (``list_owners``) and the
wizard's property list (``list_fields``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from crm_integrations.core.client import CrmClient
from crm_integrations.core.cursors import ChangeCursor
from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import (
    BatchUpdateResult,
    ChangedRecords,
    CrmField,
    CrmOwner,
    CrmRecord,
    Expand,
    FieldOption,
    FieldType,
    RecordFailure,
    RecordUpdate,
)

from . import config
from .store import FIELDS, FIELDS_BY_NAME, LEADS, STORE, Lead

FIELD_TYPES = {
    "text": FieldType.STRING,
    "number": FieldType.NUMBER,
    "choice": FieldType.ENUMERATION,
    "owner": FieldType.OWNER,
    "timestamp": FieldType.DATETIME,
}


@dataclass(frozen=True)
class LeadCursor(ChangeCursor):
    """Leads changed at ``ts`` (epoch milliseconds) or later are still to come, except ``ids``."""

    crm_name: ClassVar[str] = config.NAME

    @classmethod
    def ts_from(cls, moment: datetime) -> int:
        return int(moment.timestamp() * 1000)

    def seen(self, lead: Lead) -> bool:
        return lead.updated_ms < self.ts or (lead.updated_ms == self.ts and lead.id in self.ids)

    def after(self, lead: Lead) -> LeadCursor:
        if lead.updated_ms > self.ts:
            return replace(self, ts=lead.updated_ms, ids=(lead.id,))
        return replace(self, ids=(*self.ids, lead.id))


class MiniCrmClient(CrmClient):
    provider: ClassVar[str] = config.KEY

    def _leads(self, object_type: str) -> None:
        """Refuse another object type, and a key Mini CRM does not know (``AuthRevoked``)."""
        if object_type != LEADS:
            raise InvalidRequest(f"Mini CRM holds '{LEADS}', not '{object_type}'.", code="object_type")
        STORE.account_for(self.connection.access_token)

    def changed_since(
        self, object_type: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        self._leads(object_type)
        state = LeadCursor.decode(cursor)
        waiting = [lead for lead in STORE.leads_by_change() if not state.seen(lead)]
        page = waiting[: max(1, limit)]
        for lead in page:
            state = state.after(lead)
        records = tuple(_record(lead, properties) for lead in page)
        return ChangedRecords(records, state.encode(), len(waiting) > len(page))

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> list[CrmRecord]:
        """Leads in the order of ``ids``, unknown ones left out; Mini CRM has no associations."""
        self._leads(object_type)
        found = (STORE.lead(str(lead_id)) for lead_id in ids)
        return [_record(lead, properties) for lead in found if lead is not None]

    def batch_update(self, object_type: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        self._leads(object_type)
        updated, failed = [], []
        for update in updates:
            problem = _invalid(update.properties)
            if STORE.lead(update.id) is None:
                problem = f"lead {update.id} does not exist"
            if problem:
                failed.append(RecordFailure(update.id, problem, code="invalid"))
                continue
            lead = STORE.update_lead(update.id, dict(update.properties))
            if lead is not None:
                updated.append(_record(lead, tuple(update.properties)))
        return BatchUpdateResult(tuple(updated), tuple(failed))

    def list_owners(self) -> list[CrmOwner]:
        STORE.account_for(self.connection.access_token)
        return [
            CrmOwner(owner.id, owner.email, owner.first_name, owner.last_name, active=owner.active)
            for owner in STORE.owners.values()
        ]

    def list_fields(self, object_type: str) -> list[CrmField]:
        self._leads(object_type)
        owners = tuple(FieldOption(owner.id, owner.name) for owner in self.list_owners())
        return [
            CrmField(
                object_type=LEADS,
                name=spec.name,
                label=spec.label,
                type=FIELD_TYPES[spec.kind],
                provider_type=spec.kind,
                options=owners
                if spec.kind == "owner"
                else tuple(FieldOption(*pair) for pair in spec.options),
                read_only=spec.read_only,
            )
            for spec in FIELDS
        ]

    def get_record(
        self,
        object_type: str,
        record_id: str,
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> CrmRecord:
        found = self.batch_read(object_type, [record_id], properties=properties)
        if not found:
            raise NotFound(f"Mini CRM lead {record_id} does not exist.", status=404)
        return found[0]


def _record(lead: Lead, properties: Sequence[str]) -> CrmRecord:
    """A lead with the properties asked for (all of them when none are)."""
    names = [name for name in properties if name in FIELDS_BY_NAME] or list(FIELDS_BY_NAME)
    updated_at = datetime.fromtimestamp(lead.updated_ms / 1000, tz=UTC)
    return CrmRecord(LEADS, lead.id, {name: lead.properties.get(name) for name in names}, updated_at)


def _invalid(properties: dict[str, Any]) -> str:
    """Why Mini CRM refuses these values ("" when it takes them)."""
    for name, value in properties.items():
        spec = FIELDS_BY_NAME.get(name)
        if spec is None or spec.read_only:
            return f"'{name}' is not a writable lead field"
        if spec.kind == "owner" and str(value) not in STORE.owners:
            return f"no owner {value}"
        if spec.kind == "choice" and value not in dict(spec.options):
            return f"'{value}' is not an option of {name}"
    return ""
