"""Writes for contracts: create or update one from its CRM deal (the files follow in a task), and
change its negotiation status (written to the deal by a task, see contracts/status_out.py).

Every status change, whoever makes it (staff in contracts/admin.py, the API in contracts/api/views.py,
a change made at the CRM in contracts/status_in.py), is written by ``contract_status_record``: one
UPDATE that bumps the version and says who and when, and one push queued after the commit. The
model (contracts/models.py) neither pushes nor queues: ``Contract.save`` refuses a changed status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import Unsupported
from crm_integrations.core.types import CrmDeal, CrmRecord
from crm_integrations.models import OrganizationIntegration

from .files import contract_files_retry_failed
from .models import STATUS_FIELDS, Contract, NegotiationStatus, SyncState


@dataclass(frozen=True)
class ContractUpsert:
    contract: Contract
    created: bool
    detail: str


def contract_upsert_from_deal(
    *, connection: OrganizationIntegration, deal_id: str, delivery_id: int | None = None
) -> ContractUpsert:
    """Read the deal (with its companies and contacts) and create or update its contract.

    Idempotent: one contract per organization, provider and deal, whoever asks how often (a unique
    constraint settles two workers creating it at once). A read older than the one stored does not
    roll the contract back. The negotiation status is the contract workflow's own: a new contract
    starts as a draft, an update leaves it. The deal's files are fetched by ``fetch_contract_files``;
    asked again for a deal it has, files that failed get a fresh set of tries.
    """
    client = registry.get_client(connection)
    if not client.supports_deals:
        raise Unsupported(
            f"{connection.integration} has no deals to make contracts from.", code="unsupported"
        )
    deal = client.read_deal(deal_id)  # outside the transaction: no lock is held over the network
    key = {
        "organization_id": connection.organization_id,
        "provider": connection.provider,
        "external_id": deal.id,
    }
    fields = {**deal_fields(deal), "connection": connection, "last_synced_at": timezone.now()}
    with transaction.atomic():
        contract, created = _locked_or_created(key, {**fields, "created_from_id": delivery_id})
        if created:
            detail = "contract created"
        elif contract.deal_updated_at and deal.updated_at and deal.updated_at < contract.deal_updated_at:
            detail = "kept: a newer read of the deal is already stored"
        else:
            for name, value in fields.items():
                setattr(contract, name, value)
            if contract.status_in_sync:  # else the status push's state stays on show
                contract.sync_state, contract.sync_detail = SyncState.IN_SYNC, ""
            contract.save()
            detail = "contract updated"
        if not created and (retried := contract_files_retry_failed(contract.pk)):
            detail += f"; {retried} failed file(s) tried again"
        transaction.on_commit(lambda: _fetch_files(contract.pk))
    return ContractUpsert(contract, created, detail)


#: What a status change writes: read back onto the caller's instance.
STATUS_CHANGE_FIELDS = (*sorted(STATUS_FIELDS), "sync_state", "sync_detail", "last_synced_at", "updated_at")


def contract_status_set(contract: Contract, status: str, *, by: str) -> Contract:
    """Set the contract's negotiation status: what the admin, the API and code call.

    ``by`` says who (``"admin:<username>"``, ``"api:<user>"``, ``"code"``...). Setting the status it
    already has changes nothing. A change is recorded by ``contract_status_record`` (its version
    bumped, written to the deal once the caller's transaction commits). The row is locked while it is
    set, so two callers at once are applied one after the other. Returns ``contract``, its status
    fields read back as stored.
    """
    if status not in NegotiationStatus.values:
        raise ValidationError({"negotiation_status": f"“{status}” is not a negotiation status."})
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.negotiation_status != status:
            contract_status_record(locked, status, by=by)
    contract.refresh_from_db(fields=STATUS_CHANGE_FIELDS)
    return contract


def contract_status_record(
    locked: Contract,
    status: str,
    *,
    by: str,
    crm_changed_at: datetime | None = None,
    deal_shows_it: bool = False,
) -> None:
    """Record a change of ``locked``'s negotiation status to ``status``: the one write of a status.

    ``locked`` is the contract's row as read under ``select_for_update`` in the caller's transaction
    (it is not changed here). The change bumps ``status_version`` and says who made it (``by``) and
    when: now, or ``crm_changed_at`` for a change made at the CRM (contracts/status_in.py), which
    also counts as a read of the deal. Unless ``deal_shows_it`` (the deal already holds the status:
    it is recorded as written, and nothing goes back to the CRM, so a CRM change never bounces), the
    contract shows "Changes to send" and one push is queued once the transaction commits.
    """
    now = timezone.now()
    label = NegotiationStatus(status).label
    if deal_shows_it:
        written = locked.status_version + 1
        sync = {"status_pushed_version": written, "sync_state": SyncState.IN_SYNC, "sync_detail": ""}
    else:
        where = "set at the CRM, to write to the deal" if crm_changed_at else "to send to the CRM"
        detail = f"status “{label}” {where}"
        sync = {"sync_state": SyncState.PENDING, "sync_detail": detail}
    Contract.objects.filter(pk=locked.pk).update(
        negotiation_status=status,
        status_version=F("status_version") + 1,
        status_changed_at=crm_changed_at or now,
        status_changed_by=by[:150],
        **sync,
        **({"last_synced_at": now} if crm_changed_at else {}),
        updated_at=now,
    )
    if not deal_shows_it:
        contract_id = locked.pk
        transaction.on_commit(lambda: queue_status_push(contract_id))


def contract_statuses_send_again(contracts: QuerySet[Contract]) -> int:
    """Queue the push (after the commit) for those of ``contracts`` whose status is not written to
    their deal yet, e.g. after a failure gave up; returns how many."""
    ids = list(contracts.filter(status_pushed_version__lt=F("status_version")).values_list("pk", flat=True))
    for contract_id in ids:
        transaction.on_commit(lambda pk=contract_id: queue_status_push(pk))
    return len(ids)


def queue_status_push(contract_id: int) -> None:
    """Have ``push_contract_status`` write the contract's current status to its deal. The task is
    imported here: contracts/tasks.py imports contracts/status_in.py, which records through here."""
    from .tasks import push_contract_status

    push_contract_status.delay(contract_id)


def _locked_or_created(key: dict[str, Any], fields: dict[str, Any]) -> tuple[Contract, bool]:
    contract = Contract.objects.select_for_update().filter(**key).first()
    if contract is not None:
        return contract, False
    try:
        with transaction.atomic():
            return Contract.objects.create(**key, **fields), True
    except IntegrityError:  # another worker created it between our read and our insert
        return Contract.objects.select_for_update().get(**key), False


def _fetch_files(contract_id: int) -> None:
    from .tasks import fetch_contract_files

    fetch_contract_files.delay(contract_id)


def deal_fields(deal: CrmDeal) -> dict[str, Any]:
    """The contract's fields from its deal; the counterparty is the primary company (else contact)."""
    parties = [company.name for company in deal.companies] + [contact.name for contact in deal.contacts]
    return {
        "title": (deal.name or f"Deal {deal.id}")[:255],
        "counterparty": next((party for party in parties if party), "")[:255],
        "amount": deal.amount,
        "currency": (deal.currency or settings.CONTRACT_DEFAULT_CURRENCY)[:3].upper(),
        "deal_snapshot": record_snapshot(deal.record),
        "deal_updated_at": deal.updated_at,
    }


def record_snapshot(record: CrmRecord) -> dict[str, Any]:
    """A record with what was read along with it, as JSON."""
    return {
        "object_type": record.object_type,
        "id": record.id,
        "properties": {name: value for name, value in record.properties.items()},
        "updated_at": record.updated_at.isoformat() if record.updated_at else None,
        "archived": record.archived,
        "associations": {kind: list(ids) for kind, ids in record.associations.items()},
        "associated": {
            kind: [record_snapshot(item) for item in items] for kind, items in record.associated.items()
        },
    }
