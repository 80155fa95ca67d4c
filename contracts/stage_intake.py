"""Deals that become contracts because the CRM told us they reached a contract stage, not because a
CRM workflow sent them (contracts/receivers.py ``on_workflow_record_requested``).

Some CRMs have no workflow that calls us with one deal (a Salesforce org: a flow's Outbound Message
only nudges, and polling finds the rest); their client says which changed deals are at a stage the
connection turned into contracts (``CrmClient.contract_stage_deals``, read from the CRM, never from a
notification's values). Changed deals reach ``deals_to_contracts`` through ``records_changed``
(the webhook intake and ``contract_deals_poll``, a beat job that polls such connections' deals).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from crm_integrations.core import registry
from crm_integrations.core.errors import CrmError, NotFound
from crm_integrations.intake import polling
from crm_integrations.models import ConnectionStatus, EventOutcome, OrganizationIntegration
from crm_integrations.signals import Outcome

from .models import Contract
from .services import contract_upsert_from_deal

DEALS = "deals"

logger = logging.getLogger(__name__)


def deals_to_contracts(connection: OrganizationIntegration, deal_ids: Sequence[str]) -> dict[str, Outcome]:
    """Contracts for those of these deals without one that are at a contract stage; an outcome each
    for those made (the others are left to the status sync). Raises the provider contract's errors."""
    client = registry.get_client(connection)
    if not client.supports_deals:
        return {}
    known = set(
        Contract.objects.filter(
            organization_id=connection.organization_id, provider=connection.provider, external_id__in=deal_ids
        ).values_list("external_id", flat=True)
    )
    new = [deal_id for deal_id in deal_ids if deal_id not in known]
    outcomes: dict[str, Outcome] = {}
    for deal_id in client.contract_stage_deals(new) if new else []:
        try:
            result = contract_upsert_from_deal(connection=connection, deal_id=deal_id)
        except NotFound:
            outcomes[deal_id] = Outcome(EventOutcome.REJECTED, f"deal {deal_id} no longer exists at the CRM")
            continue
        detail = f"{result.detail}: the deal reached a contract stage"
        outcomes[deal_id] = Outcome(EventOutcome.INGESTED, detail, f"contract:{result.contract.pk}")
    return outcomes


def contract_deals_poll() -> Counter[str]:
    """Beat: each connected connection whose deals are polled takes in the deals changed since its
    cursor (``crm_integrations.intake.polling``; they reach ``deals_to_contracts`` and the status
    sync through ``records_changed``). A connection that fails is logged and left for the next run."""
    counts: Counter[str] = Counter()
    for connection in OrganizationIntegration.objects.filter(
        status=ConnectionStatus.CONNECTED
    ).select_related("integration"):
        try:
            if not registry.get_client(connection).polls_deals():
                continue
            counts["deals"] += polling.poll(connection, DEALS, source="poll").records
            counts["connections"] += 1
        except (CrmError, polling.IntakeFailed, registry.UnknownProvider) as error:
            logger.warning("Deals of connection %s not polled: %s", connection.pk, error)
            counts["failed"] += 1
    return counts
