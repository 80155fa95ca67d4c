"""What contracts does when a CRM workflow asks for a deal (``workflow_record_requested``)."""

from __future__ import annotations

from typing import Any

from crm_integrations.core.errors import NotFound, Unsupported
from crm_integrations.models import EventOutcome, OrganizationIntegration
from crm_integrations.signals import Outcome

from .services import contract_upsert_from_deal

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
