"""Writes for contracts: create or update one from its CRM deal (the files follow in a task), and
set its negotiation status (written to the deal by a task, see ``status_sync``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import Unsupported
from crm_integrations.core.types import CrmDeal, CrmRecord
from crm_integrations.models import OrganizationIntegration

from .files import contract_files_retry_failed
from .models import Contract, NegotiationStatus, SyncState


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


#: The contract's fields a status change sets (copied back onto the caller's instance).
STATUS_FIELDS = (
    "negotiation_status",
    "status_version",
    "status_changed_at",
    "status_changed_by",
    "sync_state",
    "sync_detail",
    "updated_at",
)


def contract_status_set(contract: Contract, status: str, *, by: str) -> Contract:
    """Set the contract's negotiation status: what the admin, the API and code call.

    ``by`` says who (``"admin:<username>"``, ``"api:<user>"``, ``"code"``...). Setting the status it
    already has changes nothing. A change bumps ``status_version`` and, once the caller's
    transaction commits, ``push_contract_status`` writes the status to the deal (``Contract.save``
    does that part, so a plain ``save()`` of a changed status is pushed too). The row is locked
    while it is set, so two callers at once are applied one after the other. Returns the contract
    as stored; ``contract`` gets the new status and version too.
    """
    if status not in NegotiationStatus.values:
        raise ValidationError({"negotiation_status": f"“{status}” is not a negotiation status."})
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.negotiation_status != status:
            locked.negotiation_status = status
            locked._status_changed_by = by
            locked.save(update_fields=["negotiation_status", "updated_at"])
    for name in STATUS_FIELDS:
        setattr(contract, name, getattr(locked, name))
    contract._loaded_status = locked.negotiation_status
    return locked


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
