"""Celery tasks for contracts: thin wrappers over the services; they take ids and are idempotent.

Their names are given, not derived from this module's path: beat entries (config/schedule.py) and
messages already queued name them, so they must outlive a move of this module."""

from __future__ import annotations

from celery import shared_task

from crm_integrations.core.errors import AuthRevoked, RetryLater

from . import files, stage_intake, status_in, status_out


@shared_task(name="contracts.tasks.fetch_contract_files", bind=True, max_retries=10, acks_late=True)
def fetch_contract_files(self, contract_id: int) -> str:  # noqa: ANN001
    """Download the deal's files onto the contract; files that failed for now are tried again later
    (each up to CONTRACT_FILE_ATTEMPTS times, waits doubling), stored and refused ones never."""
    try:
        result = files.contract_files_fetch(contract_id=contract_id)
    except AuthRevoked:
        return "needs_reauth"  # the connection is marked and shown to staff; files stay pending
    except RetryLater as error:
        raise self.retry(countdown=max(error.retry_after, 2**self.request.retries)) from None
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return str(result)


@shared_task(name="contracts.tasks.push_contract_status", bind=True, max_retries=100, acks_late=True)
def push_contract_status(self, contract_id: int, check_first: bool = False) -> str:  # noqa: ANN001
    """Write the contract's current negotiation status to its deal (``status_out``): queued after
    every status change commits; reads the status when it runs, so quick changes coalesce. Tries
    that fail for now run again with waits doubling from CONTRACT_STATUS_RETRY_SECONDS, up to
    CONTRACT_STATUS_ATTEMPTS tries (the service gives up and shows it on the contract); a try
    after a write that got no answer reads the deal back before writing (``check_first``)."""
    result = status_out.contract_status_push(
        contract_id=contract_id, attempt=self.request.retries + 1, check_first=check_first
    )
    if result.retry_in is not None:
        raise self.retry(
            countdown=result.retry_in,
            args=(),
            kwargs={"contract_id": contract_id, "check_first": result.unknown},
        )
    return str(result)


@shared_task(name="contracts.tasks.reconcile_contract_statuses")
def reconcile_contract_statuses() -> dict[str, int]:
    """Beat: status changes made at the CRM whose webhook never came (``status_in``)."""
    return dict(status_in.contract_statuses_reconcile())


@shared_task(name="contracts.tasks.poll_contract_deals")
def poll_contract_deals() -> dict[str, int]:
    """Beat: deals changed at CRMs whose deals are polled (``stage_intake``): those at a contract
    stage become contracts, the others' status changes come back."""
    return dict(stage_intake.contract_deals_poll())
