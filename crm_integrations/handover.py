"""Handing changed CRM records up to the intake (through the ``records_changed`` signal)."""

from __future__ import annotations

import logging

from crm_integrations.core.errors import RetryLater
from crm_integrations.models import EventOutcome, OrganizationIntegration
from crm_integrations.signals import Outcome, records_changed

logger = logging.getLogger(__name__)


def hand_over(
    connection: OrganizationIntegration, object_type: str, external_ids: list[str], source: str
) -> dict[str, Outcome]:
    """Ask the intake to take these records in; one outcome per id (an error for all if it failed).

    A ``RetryLater`` from the intake (rate limited, CRM unavailable) is raised again, so the calling
    task retries with backoff instead of marking the records failed."""
    ids = sorted(set(external_ids))
    outcomes: dict[str, Outcome] = {}
    responses = records_changed.send_robust(
        sender=OrganizationIntegration,
        connection=connection,
        object_type=object_type,
        external_ids=ids,
        source=source,
    )
    for receiver, response in responses:
        if isinstance(response, RetryLater):
            raise response  # rate limited / CRM down: the task retries later, the events stay pending
        if isinstance(response, Exception):
            logger.error("Intake %r failed for %s %s: %s", receiver, connection.pk, object_type, response)
            detail = f"intake failed: {type(response).__name__}: {response}"
            return {external_id: Outcome(EventOutcome.ERROR, detail) for external_id in ids}
        outcomes.update(response or {})
    return outcomes
