"""The contract's negotiation status out to its deal (the outbound half; contracts/status_in.py
brings changes made at the CRM back).

Staff and the API set a status in the app, and the people working the deal in the CRM must see it
there, without a write ever putting an older status over a newer one. Every status change bumps
``Contract.status_version`` and, after its transaction commits, queues
``contracts.tasks.push_contract_status(contract_id)`` (both in
``contracts.services.contract_status_record``). The task calls :func:`contract_status_push`, which:

1. takes the contract's **push lease** (``crm_integrations/core/leases.py``: a conditional UPDATE
   on the contract row, one writer per contract across every worker, ``LEASE`` long; no row lock
   is held over the network);
2. reads the **current** status and version from the database; nothing to do when the version is
   already written (``status_pushed_version >= status_version``) — so three quick changes queue
   three tasks and the deal gets the last status, once or twice, never an older one after it;
3. notes the write as ours (``crm_integrations.intake.echoes``), writes the deal's ``lexicontract_status``
   with ``batch_update``; the CRM refuses the value (the property is missing, or an administrator
   removed one of its options): the property is made sure of (``ensure_status_property``: an
   enumeration of our statuses in its own group, created when missing) and the write is tried once
   more — so an existing property costs one call per change. A write that gets no answer
   (``OutcomeUnknown``: a timeout on ``CRM_HTTP_WRITE_READ_TIMEOUT``, a connection cut after sending)
   is not sent again blindly: the deal's property is read back (``crm_integrations/core/write_once.py``)
   and written again only when it does not hold the status; when it still is not found, the
   task's next try (``check_first``) reads it back before writing, too;
4. records the version written (a conditional UPDATE: never lower), and loops while a newer
   version arrived meanwhile; then releases the lease and looks once more (a change committed
   while the lease was held found it taken and left the work to us).

Failures: ``RetryLater`` (429, 5xx, timeouts, breaker open) -> the contract shows "Sync failed"
with the error and the next try; the task tries again after ``CONTRACT_STATUS_RETRY_SECONDS``
times 2ⁿ (at least the CRM's Retry-After), up to ``CONTRACT_STATUS_ATTEMPTS`` tries. Any other CRM error
(a refused value, a deleted deal, a connection that needs reconnecting) -> "Sync failed" with the
reason, no retry; the next status change, or the admin action "Send the status to the CRM again",
tries again. Messages are the provider contract's errors: never a credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.client import CrmClient
from crm_integrations.core.errors import CrmError, InvalidRequest, OutcomeUnknown, RetryLater, Unsupported
from crm_integrations.core.leases import RowLease
from crm_integrations.core.types import BatchUpdateResult, CrmRecord, FieldOption, RecordUpdate
from crm_integrations.core.write_once import send_once, settle
from crm_integrations.intake import echoes

from .models import Contract, NegotiationStatus, SyncState

OBJECT_TYPE = "deals"
PROPERTY = "lexicontract_status"
PROPERTY_LABEL = "LexiContract status"
PROPERTY_DESCRIPTION = "The contract's negotiation status in LexiContract (written by the app)."
GROUP_NAME, GROUP_LABEL = "lexicontract", "LexiContract"
#: How long one worker may hold a contract's push (well past one CRM call with its inline retries
#: and timeouts); a worker that dies holding it delays that contract's push by at most this.
LEASE = timedelta(minutes=5)
PUSH_LEASE = RowLease("status_push_until", owner="status_push_token")
#: The longest wait between two tries.
MAX_RETRY_SECONDS = 3600.0


def status_options() -> tuple[FieldOption, ...]:
    """The property's options: our statuses' machine values with their labels, in workflow order."""
    return tuple(
        FieldOption(value=str(value), label=str(label)) for value, label in NegotiationStatus.choices
    )


@dataclass(frozen=True)
class PushResult:
    detail: str
    written: tuple[int, ...] = ()  # the status versions written to the deal by this run
    retry_in: float | None = None  # seconds until the task should run again
    failed: bool = False  # a failure that no retry of this task will mend (shown on the contract)
    unknown: bool = False  # the last write got no answer: the next try reads the deal back first

    def __str__(self) -> str:
        return self.detail


def contract_status_push(*, contract_id: int, attempt: int = 1, check_first: bool = False) -> PushResult:
    """Write the contract's current status to its deal unless it is there already (idempotent).

    ``attempt`` counts the task's tries (1 = first); it decides the backoff and when to give up.
    ``check_first``: the last try's write got no answer (``PushResult.unknown``): read the deal
    before writing.
    """
    written: list[int] = []
    while True:
        token = PUSH_LEASE.take(Contract.objects.filter(pk=contract_id), LEASE)
        if token is None:
            wait = _lease_left(contract_id)
            if wait is None:  # the contract is gone, or the lease was released meanwhile
                if _behind(contract_id):
                    continue
                return PushResult("nothing to write", tuple(written))
            return PushResult(
                "another worker is writing this contract's status", tuple(written), retry_in=wait + 1
            )
        try:
            result = _push_while_behind(contract_id, attempt, check_first)
        finally:
            PUSH_LEASE.release(Contract.objects.filter(pk=contract_id), token)
        written.extend(result.written)
        if result.retry_in is not None or result.failed or not _behind(contract_id):
            return PushResult(result.detail, tuple(written), result.retry_in, result.failed, result.unknown)


def _push_while_behind(contract_id: int, attempt: int, check_first: bool) -> PushResult:
    written: list[int] = []
    detail = "already written"
    while True:
        contract = Contract.objects.select_related("connection").filter(pk=contract_id).first()
        if contract is None:
            return PushResult("the contract no longer exists", tuple(written))
        if contract.status_in_sync:
            return PushResult(detail, tuple(written))
        version, status = contract.status_version, contract.negotiation_status
        try:
            _write(contract, status, check_first=check_first)
        except RetryLater as error:
            return _retry_later(contract, version, attempt, error, tuple(written))
        except CrmError as error:
            _record_failure(contract.pk, version, f"Status “{status}” not written: {error}")
            return PushResult(f"failed: {error}", tuple(written), failed=True)
        _record_written(contract.pk, version, status)
        written.append(version)
        check_first = False
        detail = f"status {status} (version {version}) written"


def _write(contract: Contract, status: str, *, check_first: bool = False) -> None:
    """Write ``status`` to the deal; ``check_first`` (the last try's write may have landed
    unanswered): read the deal first and write nothing when it holds the status."""
    connection = contract.connection
    if connection is None:
        raise Unsupported("The contract has no CRM connection to write its status to.", code="unsupported")
    client = registry.get_client(connection)
    if not client.supports_deals:
        raise Unsupported(f"{connection.provider} connections have no deals.", code="unsupported")
    deal_id = contract.external_id

    def read_back(ids: list[str]) -> dict[str, CrmRecord]:
        deals = client.batch_read(OBJECT_TYPE, ids, properties=[PROPERTY])
        return {deal.id: deal for deal in deals if deal.properties.get(PROPERTY) == status}

    def send(ids: list[str]) -> BatchUpdateResult:
        return client.batch_update(
            OBJECT_TYPE, [RecordUpdate(deal_id, {PROPERTY: status}) for deal_id in ids]
        )

    echoes.remember(connection.pk, OBJECT_TYPE, [(deal_id, PROPERTY, status)])
    if check_first and not settle([deal_id], read_back, {}):
        return
    result = _send_once(deal_id, send, read_back)
    if result is None or not result.failed:
        return
    # Refused: most likely the portal lacks the property (or one of its options). Make sure of it.
    _ensure_property(client)
    result = _send_once(deal_id, send, read_back)
    if result is not None and result.failed:
        failure = result.failed[0]
        raise InvalidRequest(f"The CRM refused the value: {failure.message}", code=failure.code or None)


def _send_once(
    deal_id: str,
    send: Callable[[list[str]], BatchUpdateResult],
    read_back: Callable[[list[str]], dict[str, CrmRecord]],
) -> BatchUpdateResult | None:
    """The CRM's answer, or None when the deal was found holding the status after no answer came;
    ``OutcomeUnknown`` (a ``RetryLater``) when it still is not found."""
    sent = send_once([deal_id], send, read_back)
    if sent.error is not None:
        raise sent.error
    return sent.answer


def _ensure_property(client: CrmClient) -> None:
    client.ensure_status_property(
        OBJECT_TYPE,
        PROPERTY,
        PROPERTY_LABEL,
        status_options(),
        group_name=GROUP_NAME,
        group_label=GROUP_LABEL,
        description=PROPERTY_DESCRIPTION,
    )


def _retry_later(
    contract: Contract, version: int, attempt: int, error: RetryLater, written: tuple[int, ...]
) -> PushResult:
    attempts = settings.CONTRACT_STATUS_ATTEMPTS
    status = contract.negotiation_status
    if attempt >= attempts:
        _record_failure(
            contract.pk,
            version,
            f"Status “{status}” not written: gave up after {attempt} tries: {error}. "
            "Change the status again or use “Send the status to the CRM again”.",
        )
        return PushResult(f"failed: gave up after {attempt} tries: {error}", written, failed=True)
    wait = min(
        MAX_RETRY_SECONDS,
        max(error.retry_after, settings.CONTRACT_STATUS_RETRY_SECONDS * 2 ** (attempt - 1)),
    )
    _record_failure(
        contract.pk,
        version,
        f"Status “{status}” not written yet: try {attempt} of {attempts} failed: {error}; "
        f"tried again in {wait:.0f} s.",
    )
    return PushResult(
        f"try {attempt} failed: {error}", written, retry_in=wait, unknown=isinstance(error, OutcomeUnknown)
    )


def _record_written(contract_id: int, version: int, status: str) -> None:
    """The version written, never lowered; in sync unless a newer change arrived meanwhile."""
    now = timezone.now()
    Contract.objects.filter(pk=contract_id, status_pushed_version__lt=version).update(
        status_pushed_version=version,
        status_pushed_at=now,
        last_synced_at=now,
        sync_state=Case(
            When(status_version__lte=version, then=Value(SyncState.IN_SYNC)), default=Value(SyncState.PENDING)
        ),
        sync_detail=Case(
            When(status_version__lte=version, then=Value("")),
            default=Value("status change to send to the CRM"),
        ),
    )


def _record_failure(contract_id: int, version: int, detail: str) -> None:
    Contract.objects.filter(pk=contract_id, status_pushed_version__lt=version).update(
        sync_state=SyncState.FAILED, sync_detail=detail
    )


def _behind(contract_id: int) -> bool:
    return Contract.objects.filter(pk=contract_id, status_pushed_version__lt=F("status_version")).exists()


def _lease_left(contract_id: int) -> float | None:
    until = Contract.objects.filter(pk=contract_id).values_list("status_push_until", flat=True).first()
    return PUSH_LEASE.remaining(until, LEASE)
