"""Opportunities as the contract workflow's deals: read one with its account, say which are at a
contract stage, write and read back the status picklist, and the status changes made in Salesforce.

The contract workflow names deals ``deals`` and the status ``lexicontract_status``
(contracts/status_out.py); here they are ``Opportunity`` and ``LexiContract_Status__c``
(``contract_status``). An opportunity read costs one SOQL query (the account comes along through the
``Account`` relationship); a status read, a status write and a contract-stage check one call per 200.

Changes made in Salesforce come back from the polled value (an org need not turn on field history):
``LastModifiedDate`` says when, ``LastModifiedById`` who. The status field's value counts as a change
made by that person, unless the opportunity was last modified by the connection's own user, whose
only write to opportunities is this status: then the value is ours and nothing comes back (no
ping-pong; contracts/status_in.py also drops our writes by value and time, crm_integrations/intake/
echoes.py). A stage move (for the admin's stage → status mappings) is read from ``OpportunityHistory``,
the stage history every org keeps: its time is when the opportunity entered its current stage, so an
edit of another field later does not make an old stage look new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from crm_integrations.core.datetimes import parse_moment
from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import (
    BatchUpdateResult,
    CrmAccount,
    CrmDeal,
    CrmField,
    CrmRecord,
    PropertyChange,
    PropertyHistory,
    RecordUpdate,
    normalize_domain,
)

from . import contract_status, normalize, soql
from .contract_status import FIELD, PROPERTY
from .objects import BATCH_LIMIT, ObjectsApi, chunks, unique

DEALS = "deals"
STAGE = "StageName"
ACCOUNT_FIELDS = ("AccountId", "Account.Name", "Account.Website", "Account.OwnerId")
#: No status field: an org whose admin has not created it yet still gets its contracts.
READ_FIELDS = ("Name", "Amount", STAGE, "CloseDate", "OwnerId", *ACCOUNT_FIELDS)
HISTORY_FIELDS = (FIELD, "LastModifiedDate", "LastModifiedById")
STAGE_HISTORY_FIELDS = ("Id", "OpportunityId", STAGE, "CreatedDate", "CreatedById")
#: Who made a change, as the contract shows it ("salesforce: user 005...").
SOURCE = "user"


def _amount(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _company(record: CrmRecord) -> CrmRecord | None:
    properties = record.properties
    account_id = str(properties.get("AccountId") or "")
    if not account_id:
        return None
    fields = {name.removeprefix("Account."): properties.get(name) for name in ACCOUNT_FIELDS[1:]}
    return CrmRecord("companies", account_id, {"Id": account_id, **fields})


def deal_from(record: CrmRecord) -> CrmDeal:
    """The contract workflow's deal; the opportunity's account is its company."""
    properties = record.properties
    company = _company(record)
    if company is not None:
        record = replace(
            record, associations={"companies": (company.id,)}, associated={"companies": (company,)}
        )
    return CrmDeal(
        id=record.id,
        name=str(properties.get("Name") or ""),
        amount=_amount(properties.get("Amount")),
        currency="",  # CurrencyIsoCode exists only in multi-currency orgs: the contract's default
        stage=str(properties.get(STAGE) or ""),
        pipeline="",
        owner_id=str(properties.get("OwnerId") or ""),
        updated_at=record.updated_at,
        companies=tuple(
            CrmAccount(
                id=company.id,
                name=str(company.properties.get("Name") or ""),
                domain=normalize_domain(company.properties.get("Website")),
                owner_id=str(company.properties.get("OwnerId") or ""),
            )
            for company in ([company] if company else [])
        ),
        contacts=(),
        record=record,
    )


class DealsApi:
    def __init__(self, objects: ObjectsApi, *, user_id: str, contract_stages: Sequence[str]) -> None:
        self.objects = objects
        self.user_id = user_id
        self.contract_stages = tuple(contract_stages)

    def read(self, deal_id: str) -> CrmDeal:
        found = self.batch_read([deal_id], properties=READ_FIELDS)
        if not found:
            raise NotFound(f"Salesforce Opportunity {str(deal_id)[:40]} does not exist.")
        return deal_from(found[0])

    def batch_read(self, ids: Sequence[str], *, properties: Sequence[str] = ()) -> list[CrmRecord]:
        """Opportunities in the order of ``ids``, the status also under the workflow's name, as a code."""
        records = self.objects.batch_read(
            DEALS, ids, properties=contract_status.field_names(tuple(properties))
        )
        return [
            CrmRecord(
                DEALS,
                record.id,
                contract_status.from_salesforce(record.properties),
                updated_at=record.updated_at,
            )
            for record in records
        ]

    def batch_update(self, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        """sObject Collections with the status as its picklist value; results in the workflow's terms."""
        sent = [
            RecordUpdate(update.id, contract_status.to_salesforce(update.properties)) for update in updates
        ]
        result = self.objects.batch_update(DEALS, sent)
        asked = {update.id: update.properties for update in updates}
        return BatchUpdateResult(
            updated=tuple(CrmRecord(DEALS, record.id, dict(asked[record.id])) for record in result.updated),
            failed=result.failed,
        )

    def at_contract_stage(self, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` whose ``StageName`` is one of the connection's contract stages (read now:
        an Outbound Message's field values are never trusted)."""
        if not self.contract_stages:
            return []
        stages = set(self.contract_stages)
        return [
            record.id
            for record in self.batch_read(ids, properties=(STAGE,))
            if record.properties.get(STAGE) in stages
        ]

    def property_history(self, ids: Sequence[str], properties: Sequence[str]) -> dict[str, PropertyHistory]:
        """The status each opportunity holds now, as the change of whoever last modified it (none
        when that is this connection's user), and, when asked for, the stage it is in since it
        entered it; see the module's docstring. Unknown ids left out."""
        history: dict[str, PropertyHistory] = {}
        try:
            records = self.batch_read(ids, properties=HISTORY_FIELDS)
        except InvalidRequest as error:
            if error.code != "INVALID_FIELD":
                raise
            # The org has no status field yet (SETUP.md): no status to take from it, nothing failed.
            return {record_id: {name: () for name in properties} for record_id in ids}
        stages = self._stage_entries([record.id for record in records]) if STAGE in properties else {}
        for record in records:
            properties_of: PropertyHistory = {name: () for name in properties}
            if record.id in stages:
                properties_of[STAGE] = (stages[record.id],)
            by = str(record.properties.get("LastModifiedById") or "")
            at = parse_moment(record.properties.get("LastModifiedDate")) or record.updated_at
            value = str(record.properties.get(PROPERTY) or "")
            if PROPERTY in properties_of and value and at is not None and not self._ours(by):
                properties_of[PROPERTY] = (PropertyChange(value, at, SOURCE, by),)
            history[record.id] = properties_of
        return history

    def _stage_entries(self, ids: Sequence[str]) -> dict[str, PropertyChange]:
        """When and by whom each opportunity entered its current stage, from its ``OpportunityHistory``
        (newest first: the oldest row of the newest run of the same stage; one query per 200)."""
        rows: dict[str, list[dict]] = {}
        for chunk in chunks(unique(ids), BATCH_LIMIT):
            query = soql.select(
                soql.field_list(STAGE_HISTORY_FIELDS),
                "OpportunityHistory",
                f"OpportunityId IN {soql.id_list(chunk)}",
                " ORDER BY CreatedDate DESC, Id DESC",
            )
            for body in self.objects.api.query(query):
                row = normalize.flatten(body)
                rows.setdefault(str(row.get("OpportunityId") or ""), []).append(row)
        entered: dict[str, PropertyChange] = {}
        for opportunity_id, history in rows.items():
            current = history[0].get(STAGE)
            start = history[0]
            for row in history[1:]:
                if row.get(STAGE) != current:
                    break
                start = row
            at = parse_moment(start.get("CreatedDate"))
            if current and at is not None:
                entered[opportunity_id] = PropertyChange(
                    str(current), at, SOURCE, str(start.get("CreatedById") or "")
                )
        return entered

    def ensure_status_field(self, name: str, label: str, fields: Sequence[CrmField]) -> CrmField:
        """The opportunity's picklist ``name`` (the status property: ``LexiContract_Status__c``), when
        the org has it (``fields``: the opportunity's, from ``describe``). It is not created from here:
        the guide has the admin create it (crm_integrations/salesforce/SETUP.md)."""
        wanted = FIELD if name == PROPERTY else name
        found = next((field for field in fields if field.name == wanted), None)
        if found is None:
            raise InvalidRequest(
                f"The Opportunity field {label} ({wanted}) is missing: a Salesforce admin creates it as "
                "the Salesforce setup guide says, with the contract statuses as its values.",
                code="status_property_missing",
            )
        return found

    def _ours(self, user_id: str) -> bool:
        return bool(user_id) and bool(self.user_id) and user_id[:15] == self.user_id[:15]
