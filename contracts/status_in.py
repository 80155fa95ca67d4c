"""Status changes made in the CRM come back to the contract (the inbound half; contracts/status_out.py
writes ours to the deal).

A webhook saying a deal with a contract changed (or the reconcile beat) hands its id here. The
deal's history of ``lexicontract_status`` and of its stage is read (one batch call per 100 deals:
the CRM's record of who set what when, robust to webhooks arriving late, twice or out of order),
and the **newest change made by someone else** is found:

- a ``lexicontract_status`` value that is one of our statuses, not written by us (our writes are
  known from ``crm_integrations.intake.echoes``: same value, close in time);
- a move to a deal stage an administrator mapped to a status (``StageStatus``, in the admin).

That change wins only when it is newer than the contract's own last status change
(``status_changed_at``; a new contract's creation): a change in HubSpot that crosses one of ours
resolves to the newest, on both sides. Taking it sets the status, its time (the CRM's) and who made
it, without counting as a change of ours to send — unless the deal does not show it: a stage move
(the property still holds the old status), or our own older write that landed after it; then the
status is written to the deal once more. Our writes that come back are echoes, never changes, so
nothing bounces (no ping-pong). Taking the same change again changes nothing (idempotent).

Clocks: the CRM's change times are compared with ours; two changes made within the clocks' drift
of each other may resolve either way, but both sides always end on the same status.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import CrmError
from crm_integrations.core.types import PropertyChange, PropertyHistory
from crm_integrations.intake import echoes
from crm_integrations.models import ConnectionStatus, EventOutcome, OrganizationIntegration
from crm_integrations.signals import Outcome

from .models import Contract, NegotiationStatus, StageStatus
from .services import contract_status_record
from .status_out import OBJECT_TYPE, PROPERTY

#: Deals per reconcile read.
BATCH = 100

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """The newest status change someone else made at the CRM."""

    status: str
    changed_at: datetime
    by: str  # who, as shown on the contract: "hubspot: CRM_UI userId:123"
    via: str  # what changed: "lexicontract_status" or "deal stage contractsent"


def contract_statuses_from_crm(
    connection: OrganizationIntegration,
    deal_ids: Collection[str],
    *,
    properties: Mapping[str, Collection[str]] | None = None,
) -> dict[str, Outcome]:
    """Bring the status changes made at the CRM to these deals' contracts; an outcome per deal.

    ``properties`` (from webhooks) names the properties each deal's events changed; deals whose
    events changed neither the status property nor the stage are not read. Raises the provider
    contract's errors (``RetryLater``: the caller tries again later).
    """
    client = registry.get_client(connection)
    stage_property = client.deal_stage_property
    stages = dict(StageStatus.objects.filter(connection=connection).values_list("stage", "status"))
    watched = {PROPERTY, *([stage_property] if stage_property and stages else [])}
    contracts = {
        contract.external_id: contract
        for contract in Contract.objects.filter(
            organization_id=connection.organization_id,
            provider=connection.provider,
            external_id__in=list(deal_ids),
        ).only("pk", "external_id")
    }
    outcomes = {
        deal_id: Outcome(EventOutcome.IGNORED, "no contract for this deal")
        for deal_id in deal_ids
        if deal_id not in contracts
    }
    wanted = []
    for deal_id, contract in contracts.items():
        changed = set((properties or {}).get(deal_id, ()))
        if properties is not None and changed and not changed & watched:
            outcomes[deal_id] = Outcome(
                EventOutcome.IGNORED,
                f"{', '.join(sorted(changed))}: not the contract's status",
                _ref(contract),
            )
        else:
            wanted.append(deal_id)
    if not wanted:
        return outcomes
    if not client.supports_property_history:
        detail = f"{connection.provider} keeps no property history to take statuses from"
        return outcomes | {deal_id: Outcome(EventOutcome.IGNORED, detail) for deal_id in wanted}
    read_at = timezone.now()
    histories = client.property_history(OBJECT_TYPE, wanted, sorted(watched))
    ours = echoes.echoes(connection.pk, _status_changes(histories))
    for deal_id in wanted:
        contract = contracts[deal_id]
        history = histories.get(deal_id)
        if history is None:
            outcomes[deal_id] = Outcome(
                EventOutcome.IGNORED, "the deal no longer exists at the CRM", _ref(contract)
            )
            continue
        incoming, why_not = newest_change(
            deal_id, history, stages, stage_property, ours, provider=connection.provider
        )
        if incoming is None:
            outcomes[deal_id] = Outcome(EventOutcome.IGNORED, why_not, _ref(contract))
        else:
            deal_shows = next(iter(history.get(PROPERTY, ())), None)
            outcomes[deal_id] = contract_status_take(
                contract.pk, incoming, deal_shows=deal_shows.value if deal_shows else "", read_at=read_at
            )
    return outcomes


def contract_statuses_reconcile() -> Counter[str]:
    """Beat: every connected connection's contracts look for status changes at the CRM, in case a
    webhook was lost (one batch read per 100 contracts). A connection that fails is logged and
    left for the next run. Returns the outcomes counted."""
    counts: Counter[str] = Counter()
    connections = OrganizationIntegration.objects.filter(
        status=ConnectionStatus.CONNECTED, contracts__isnull=False
    ).distinct()
    for connection in connections:
        ids = list(connection.contracts.order_by("pk").values_list("external_id", flat=True))
        try:
            for start in range(0, len(ids), BATCH):
                outcomes = contract_statuses_from_crm(connection, ids[start : start + BATCH])
                counts.update(outcome.outcome for outcome in outcomes.values())
        except CrmError as error:
            logger.warning("Contract statuses of connection %s not reconciled: %s", connection.pk, error)
            counts["failed"] += 1
    return counts


def newest_change(
    deal_id: str,
    history: PropertyHistory,
    stages: Mapping[str, str],
    stage_property: str,
    ours: Collection[echoes.Change],
    *,
    provider: str,
) -> tuple[Incoming | None, str]:
    """The newest status change at the CRM that was not ours, or None and why."""
    candidates: list[Incoming] = []
    reasons: list[str] = []
    theirs = [
        change
        for change in history.get(PROPERTY, ())
        if _as_echo(deal_id, change) not in ours and change.value
    ]
    if theirs:
        change = theirs[0]
        if change.value in NegotiationStatus.values:
            candidates.append(_incoming(change.value, change, provider, PROPERTY))
        else:
            reasons.append(f"{PROPERTY} “{change.value}” is not a negotiation status")
    elif history.get(PROPERTY):
        reasons.append(f"{PROPERTY} was last set by us")
    moves = history.get(stage_property, ()) if stages else ()
    if moves:
        stage = moves[0]
        if stage.value in stages:
            candidates.append(_incoming(stages[stage.value], stage, provider, f"deal stage {stage.value}"))
        else:
            reasons.append(f"deal stage {stage.value} maps to no status")
    if not candidates:
        return None, "; ".join(reasons) or "no status change at the CRM"
    return max(candidates, key=lambda incoming: incoming.changed_at), ""


def contract_status_take(
    contract_id: int, incoming: Incoming, *, deal_shows: str, read_at: datetime
) -> Outcome:
    """Give the contract the CRM's newer status, unless its own change is newer (idempotent).

    ``deal_shows`` is the deal's status property as read at ``read_at``: the deal needs no write
    when it already shows the status, no write of ours is under way and none landed since the read.
    """
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract_id)
        own_change = contract.status_changed_at or contract.created_at
        ref = _ref(contract)
        if contract.negotiation_status == incoming.status:
            return Outcome(EventOutcome.IGNORED, f"already “{incoming.status}”", ref)
        if incoming.changed_at <= own_change:
            return Outcome(
                EventOutcome.IGNORED,
                f"kept “{contract.negotiation_status}”: the contract's own change "
                f"({own_change:%Y-%m-%d %H:%M:%S}) is newer than “{incoming.status}” via {incoming.via}",
                ref,
            )
        now = timezone.now()
        writing = contract.status_push_until is not None and contract.status_push_until > now
        wrote_since = contract.status_pushed_at is not None and contract.status_pushed_at >= read_at
        shown = deal_shows == incoming.status and not writing and not wrote_since
        contract_status_record(
            contract, incoming.status, by=incoming.by, crm_changed_at=incoming.changed_at, deal_shows_it=shown
        )
    detail = f"“{contract.negotiation_status}” → “{incoming.status}” via {incoming.via} ({incoming.by})"
    return Outcome(EventOutcome.INGESTED, detail if shown else f"{detail}; written to {PROPERTY}", ref)


def _incoming(status: str, change: PropertyChange, provider: str, via: str) -> Incoming:
    who = " ".join(part for part in (change.source, change.source_id) if part)
    return Incoming(status, change.changed_at, f"{provider}: {who}" if who else provider, via)


def _status_changes(histories: Mapping[str, PropertyHistory]) -> Iterable[echoes.Change]:
    for deal_id, history in histories.items():
        for change in history.get(PROPERTY, ()):
            yield _as_echo(deal_id, change)


def _as_echo(deal_id: str, change: PropertyChange) -> echoes.Change:
    return echoes.Change(OBJECT_TYPE, deal_id, PROPERTY, change.value, change.changed_at)


def _ref(contract: Contract) -> str:
    return f"contract:{contract.pk}"
