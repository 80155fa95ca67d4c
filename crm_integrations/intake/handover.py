"""Handing CRM records up to the apps above (through the signals of ``crm_integrations.signals``)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from django.dispatch import Signal
from django.utils import timezone

from crm_integrations.core.errors import RetryLater
from crm_integrations.core.row_updates import update_each
from crm_integrations.core.types import CrmRecord
from crm_integrations.models import EventOutcome, OrganizationIntegration, WebhookEvent
from crm_integrations.signals import Outcome, records_changed, workflow_record_requested

logger = logging.getLogger(__name__)


def hand_over(
    connection: OrganizationIntegration,
    object_type: str,
    external_ids: list[str],
    source: str,
    *,
    properties: Mapping[str, Collection[str]] | None = None,
    records: Sequence[CrmRecord] | None = None,
) -> dict[str, Outcome]:
    """Ask the apps above to take these records in; one outcome per id (an error for all if one
    failed). ``properties`` names, per id, the properties a webhook said changed (None: unknown).
    ``records``: the records themselves, when a change feed returned them whole (polling.py), so
    the intake need not read them again.

    Several apps may answer for an id (the lead intake and contracts both hear of deals): an answer
    that took the record in wins over one that ignored it.

    A ``RetryLater`` from the intake (rate limited, CRM unavailable) is raised again, so the calling
    task retries with backoff instead of marking the records failed."""
    ids = sorted(set(external_ids))
    extra: dict[str, Any] = {} if records is None else {"records": list(records)}
    answers, failure = _ask(
        records_changed,
        connection=connection,
        object_type=object_type,
        external_ids=ids,
        source=source,
        properties=properties,
        **extra,
    )
    if failure:
        return {external_id: Outcome(EventOutcome.ERROR, failure) for external_id in ids}
    outcomes: dict[str, Outcome] = {}
    for answer in answers:
        for external_id, outcome in (answer or {}).items():
            known = outcomes.get(external_id)
            if known is None or (known.outcome == EventOutcome.IGNORED != outcome.outcome):
                outcomes[external_id] = outcome
    _settle_earlier_failures(connection, object_type, outcomes, source)
    return outcomes


def _settle_earlier_failures(
    connection: OrganizationIntegration, object_type: str, outcomes: Mapping[str, Outcome], source: str
) -> None:
    """Webhook events that failed for a record now taken in (by polling, a replay, a later webhook)
    say so in the debugger: what took it in and when, after the reason they failed."""
    taken = {key: outcome for key, outcome in outcomes.items() if outcome.outcome == EventOutcome.INGESTED}
    if not taken:
        return
    failed = list(
        WebhookEvent.objects.filter(
            connection=connection, object_type=object_type, object_id__in=taken, outcome=EventOutcome.ERROR
        )
    )
    moment = timezone.now().strftime("%Y-%m-%d %H:%M:%S UTC")
    for row in failed:
        row.outcome, row.result_ref = EventOutcome.INGESTED, taken[row.object_id].result_ref
        row.outcome_detail = (
            f"taken in later by {source} at {moment}; this event had failed: {row.outcome_detail}"
        )
    update_each(failed, ["outcome", "outcome_detail", "result_ref"])


def hand_over_workflow(
    connection: OrganizationIntegration, object_type: str, external_id: str, *, delivery_id: int, source: str
) -> Outcome:
    """Ask the app that takes ``object_type`` from workflows for this record; its outcome.

    ``RetryLater`` is raised again, as in ``hand_over``; any other failure is an error outcome."""
    answers, failure = _ask(
        workflow_record_requested,
        connection=connection,
        object_type=object_type,
        external_id=external_id,
        delivery_id=delivery_id,
        source=source,
    )
    if failure:
        return Outcome(EventOutcome.ERROR, failure)
    answer = next((answer for answer in answers if answer is not None), None)
    return answer or Outcome(EventOutcome.IGNORED, f"no app takes {object_type} from workflows")


def _ask(signal: Signal, **kwargs: Any) -> tuple[list[Any], str]:
    """Send ``signal`` to the apps above: their answers, or why one failed (logged). A receiver's
    ``RetryLater`` is raised again so the calling task retries."""
    answers = []
    for receiver, response in signal.send_robust(sender=OrganizationIntegration, **kwargs):
        if isinstance(response, RetryLater):
            raise response  # rate limited / CRM down: the task retries later, the events stay pending
        if isinstance(response, Exception):
            connection = kwargs.get("connection")
            logger.error(
                "Receiver %r failed for connection %s, %s: %s",
                receiver,
                getattr(connection, "pk", None),
                kwargs.get("object_type"),
                response,
            )
            return answers, f"intake failed: {type(response).__name__}: {response}"
        answers.append(response)
    return answers, ""
