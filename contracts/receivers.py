"""What contracts does when a CRM workflow asks for a deal (``workflow_record_requested``) and
when deals change at the CRM (``records_changed``: their status may come back, see ``status_in``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from crm_integrations.core.errors import NotFound, Unsupported
from crm_integrations.models import EventOutcome, OrganizationIntegration
from crm_integrations.signals import Outcome

from .services import contract_upsert_from_deal
from .stage_intake import deals_to_contracts
from .status_in import contract_statuses_from_crm

DEALS = "deals"


def on_workflow_record_requested(
    sender: Any,
    *,
    connection: OrganizationIntegration,
    object_type: str,
    external_id: str,
    delivery_id: int,
    **kwargs: Any,
) -> Outcome | None:
    """A deal becomes (or updates) a contract; other object types are not ours (None)."""
    if object_type != DEALS:
        return None
    try:
        result = contract_upsert_from_deal(
            connection=connection, deal_id=external_id, delivery_id=delivery_id
        )
    except NotFound:
        return Outcome(
            EventOutcome.REJECTED, f"deal {external_id} does not exist at the CRM (or is archived)"
        )
    except Unsupported as error:
        return Outcome(EventOutcome.REJECTED, error.message)
    return Outcome(EventOutcome.INGESTED, result.detail, f"contract:{result.contract.pk}")


def on_records_changed(
    sender: Any,
    *,
    connection: OrganizationIntegration,
    object_type: str,
    external_ids: Sequence[str],
    properties: Mapping[str, Collection[str]] | None = None,
    **kwargs: Any,
) -> dict[str, Outcome] | None:
    """Changed deals: those at a contract stage without a contract become one (``stage_intake``),
    the others' contracts take a status changed at the CRM; other types are not ours."""
    if object_type != DEALS:
        return None
    made = deals_to_contracts(connection, external_ids)
    rest = [deal_id for deal_id in external_ids if deal_id not in made]
    return made | (contract_statuses_from_crm(connection, rest, properties=properties) if rest else {})
