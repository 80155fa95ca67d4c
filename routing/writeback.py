"""Services: the owner write-back, micro-batched into the provider's batch update.

``request_flush`` flushes at once when no flush of the connection is under way (a single lead is
written without waiting); otherwise the flush under way looks again when it is done and queues one
task for everything that piled up meanwhile (``crm_integrations/core/coalescing.py``'s
``run_or_leave``): a burst costs about N / batch size calls, and no timer delays a lone lead. A
flush claims due rows with a token (``crm_integrations/core/claims.py``:
a conditional UPDATE, so concurrent flushes on any database never send a row twice), writes them in
batches, and records each result; failures retry with backoff and show in the admin and the lead's
journey until they are written or given up.

A lead's owner is written once. A batch update that gets no answer (``OutcomeUnknown``: a timeout
on the shorter ``CRM_HTTP_WRITE_READ_TIMEOUT``, a connection cut after sending) is not sent again
blindly: its records are read back (one batch read, ``crm_integrations/core/write_once.py``), those
at their owner count as written and only the others are sent again. A row keeps
``outcome_unknown`` from just before its send until its answer is recorded, so a later try (or a
flush taking over a crashed one) reads it back before sending too.

``request_flush`` imports its task inside the function: a service may import a task there, never at
the top of the module, because the task module imports the services (house rule, docs/routing.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from crm_integrations.core import coalescing, registry
from crm_integrations.core.claims import TokenClaims
from crm_integrations.core.client import CrmClient
from crm_integrations.core.errors import BUDGET_WAIT_FLOOR, CrmError, RateLimited
from crm_integrations.core.giving_way import another_account_waiting
from crm_integrations.core.types import BatchUpdateResult, RecordUpdate
from crm_integrations.core.write_once import send_once, settle
from crm_integrations.intake import echoes
from crm_integrations.models import OrganizationIntegration

from . import journey
from .models import JourneyKind, OwnerWrite, WriteStatus
from .tracing import writeback_span
from .writeback_tasks import create_tasks

logger = logging.getLogger(__name__)

#: Attempts before a write-back is given up (and shown as failed); backoff 5 s x 4^(attempt - 1).
MAX_ATTEMPTS = 6
CLAIM_TIMEOUT = timedelta(minutes=2)
#: A flush claims rows by making them "sending", ``next_attempt_at`` then being the claim's time
#: (``crm_integrations/core/claims.py``); a claim a crashed flush left behind is free again after
#: ``CLAIM_TIMEOUT``.
OWNER_WRITE_CLAIMS = TokenClaims(
    unclaimed=Q(status__in=[WriteStatus.PENDING, WriteStatus.RETRYING]),
    claimed_at="next_attempt_at",
    timeout=CLAIM_TIMEOUT,
)


def window_seconds() -> float:
    return float(getattr(settings, "ROUTING_WRITEBACK_WINDOW", 0.0))


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(5 * 4 ** (attempt - 1), 3600))


def request_flush(connection_id: object) -> None:
    """Flush now, in this process (no broker hop between the decision and the write), unless a
    flush of the connection is under way: that flush looks again once done and queues a task for
    what waits (``coalescing.run_or_leave``: no timer, so a lone lead is written at once and a
    burst's decisions pile up into full batches meanwhile). Rows a rate limit sent back to retrying
    get a task at their retry time rather than waiting for the beat. ``ROUTING_WRITEBACK_WINDOW``
    above 0 brings back a fixed window (one flush per window, a trailing task at its end).

    Inside an intake round that stores its leads a part at a time (``coalescing.handing_off``,
    field_mapping/receivers.py) the flush is a task, so another worker process writes a part's
    owners while this one stores and routes the next: written inline, the flushes were a third of a
    1,000-lead round's time (docs/benchmarks.md, "Issue 15, fourth pass")."""
    if coalescing.hands_off():  # this process stores the round's next part meanwhile
        coalescing.hand_off(flush_key(connection_id), lambda: _queue_flush(connection_id, 0.0))
        return
    _flush_or_leave(connection_id)


def flush_queued(connection_id: object) -> None:
    """The flush task (a follow-up, a retry's, a round's hand-off): as a request made outside a
    round, so a flush it makes that meets a rate limit gets its retry task too."""
    coalescing.taken_up(flush_key(connection_id))
    if window_seconds() > 0:  # the window's trailing task
        flush(connection_id)
        return
    _flush_or_leave(connection_id)


def flush_key(connection_id: object) -> str:
    """The connection's flush key in ``crm_integrations/core/coalescing.py``."""
    return f"routing:flush:{connection_id}"


def _queue_flush(connection_id: object, countdown: float) -> None:
    from .tasks import flush_owner_writes  # a task imported where it is used (house rule above)

    flush_owner_writes.apply_async((str(connection_id),), countdown=countdown)


def _flush_or_leave(connection_id: object) -> None:
    from .tasks import flush_owner_writes  # a task imported where it is used (house rule above)

    def flush_here() -> float | None:
        try:
            # Another organization's task waiting for a process gets this one between two batches;
            # run_or_leave queues the follow-up for the rest (crm_integrations/core/giving_way.py).
            flush(connection_id, give_way=another_account_waiting)
        except Exception:  # the rows stay due: a task (and else the beat) takes them
            logger.exception("Inline owner write-back of connection %s failed; queued instead", connection_id)
            return 0.0
        return retry_wait(connection_id)

    key = flush_key(connection_id)
    if window_seconds() > 0:
        coalescing.run_or_trail(
            key, lambda: flush_here(), flush_owner_writes, (str(connection_id),), window=window_seconds()
        )
        return
    coalescing.run_or_leave(
        key,
        flush_here,
        pending=lambda: has_due(connection_id),
        follow_up=lambda countdown: _queue_flush(connection_id, countdown),
        until_done=CLAIM_TIMEOUT.total_seconds(),
    )


#: Retries due within this many seconds get a flush task of their own; later ones are the beat's.
RETRY_TASK_HORIZON = 60.0


def has_due(connection_id: object) -> bool:
    return OwnerWrite.objects.filter(_due(timezone.now()), connection_id=connection_id).exists()


def retry_wait(connection_id: object) -> float | None:
    """Seconds until the connection's next retry, when it comes within ``RETRY_TASK_HORIZON``."""
    now = timezone.now()
    soonest = (
        OwnerWrite.objects.filter(connection_id=connection_id, status=WriteStatus.RETRYING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if soonest is None or soonest > now + timedelta(seconds=RETRY_TASK_HORIZON):
        return None
    return max((soonest - now).total_seconds(), 0.1)


def _time_came(now: datetime) -> Q:
    """Rows to send whose time came, claimed or not."""
    return Q(
        next_attempt_at__lte=now, status__in=[WriteStatus.PENDING, WriteStatus.RETRYING, WriteStatus.SENDING]
    )


def _due(now: datetime) -> Q:
    """Due rows: pending, retries whose time came, and claims a crashed flush left behind."""
    return _time_came(now) & OWNER_WRITE_CLAIMS.free(now)


#: What a flush reads of a claimed row's decision, lead and rep (journey lines, follow-up tasks,
#: spans); anything else would be loaded on access. Every column of the three used to be loaded
#: and turned into Python values per row (the engine's trace and the CRM record were already left
#: out): most of a claim's CPU, and a tenth of a worker's in a budget-lifted burst
#: (docs/benchmarks.md, the seventeenth pass).
CLAIMED_FIELDS = (
    *(field.name for field in OwnerWrite._meta.concrete_fields),
    "decision__lead_id",
    "decision__rule_name",
    "decision__lead__name",
    "decision__lead__email",
    "decision__rep__name",
    "decision__rep__email",
)


def claim(connection_id: object, limit: int) -> list[OwnerWrite]:
    """Take up to ``limit`` due rows for this flush only (others skip them)."""
    now = timezone.now()
    rows = OwnerWrite.objects.filter(_time_came(now), connection_id=connection_id)
    mine = OWNER_WRITE_CLAIMS.take(rows, limit, now=now, status=WriteStatus.SENDING)
    mine = mine.filter(status=WriteStatus.SENDING).select_related("decision__lead", "decision__rep")
    return list(mine.only(*CLAIMED_FIELDS))


def flush(connection_id: object, *, give_way: Callable[[], bool] | None = None) -> int:
    """Write every due owner of this connection; returns how many were written. With ``give_way``,
    asked after each batch, it stops early when that says so (the rows left stay due)."""
    connection = OrganizationIntegration.objects.select_related("integration").get(pk=connection_id)
    client = registry.get_client(connection)
    written = 0
    while rows := claim(connection_id, client.batch_size):
        with writeback_span(connection_id, rows):  # linked to each lead's trace (routing/tracing.py)
            sent, budget_spent = _send(connection, client, rows)
        written += sent
        if budget_spent:  # the rest would meet the same limit: they wait for its refill too
            break
        if give_way is not None and give_way():
            break
    return written


def _send(connection: OrganizationIntegration, client: CrmClient, rows: list[OwnerWrite]) -> tuple[int, bool]:
    """Rows written, and whether the CRM's rate budget was found spent."""
    by_type: dict[tuple[str, str], list[OwnerWrite]] = {}
    for row in rows:
        by_type.setdefault((row.object_type, row.owner_property), []).append(row)
    results = [
        _send_group(connection, client, object_type, owner_property, group)
        for (object_type, owner_property), group in by_type.items()
    ]
    return sum(written for written, _ in results), any(spent for _, spent in results)


def _send_group(
    connection: OrganizationIntegration,
    client: CrmClient,
    object_type: str,
    owner_property: str,
    group: list[OwnerWrite],
) -> tuple[int, bool]:
    """One batch update, never repeated blindly: rows whose last send got no answer, and rows of a
    send that times out now, are read back first and only those not at their owner are sent.
    Rows written, and whether the CRM's rate budget was found spent (``_wait_for_budget``)."""
    echoes.remember(
        connection.pk,
        object_type,
        [(row.record_id, owner_property, row.owner_external_id) for row in group],
    )

    def read_back(rows: list[OwnerWrite]) -> dict[OwnerWrite, object]:
        return owners_in_place(client, object_type, owner_property, rows)

    def send(rows: list[OwnerWrite]) -> BatchUpdateResult:
        OwnerWrite.objects.filter(pk__in=[row.pk for row in rows]).update(outcome_unknown=True)
        updates = [RecordUpdate(row.record_id, {owner_property: row.owner_external_id}) for row in rows]
        return client.batch_update(object_type, updates)

    landed: dict[OwnerWrite, object] = {}
    answered: list[OwnerWrite] = []
    budget_spent = False
    try:
        unsure = [row for row in group if row.outcome_unknown]
        pending = settle(unsure, read_back, landed) if unsure else []
        pending += [row for row in group if not row.outcome_unknown]
        sent = send_once(pending, send, read_back, landed=landed)
    except RateLimited as error:
        budget_spent = True
        _wait_for_budget([row for row in group if row not in landed], error.retry_after)
    except CrmError as error:
        _failed([row for row in group if row not in landed], f"{type(error).__name__}: {error}")
    else:
        if sent.answer is not None:
            failures = {failure.id: failure.message for failure in sent.answer.failed}
            answered = [row for row in sent.answered if row.record_id not in failures]
            _written(answered, len(sent.answered))
            _failed_each(
                [(row, failures[row.record_id]) for row in sent.answered if row.record_id in failures]
            )
        if sent.unknown and sent.error is not None:
            message = f"{type(sent.error).__name__}: {sent.error}"
            _failed(list(sent.unknown), message, wait=sent.error.retry_after)
    _written(list(landed), len(group), found=True)
    done = [*landed, *answered]
    create_tasks(connection, client, object_type, done)
    return len(done), budget_spent


def _wait_for_budget(rows: Sequence[OwnerWrite], retry_after: float) -> None:
    """The CRM's rate budget is spent (our shared limiter refused the call, or the CRM answered 429):
    the rows wait for it, as the intake's rounds do, and this is no failed attempt. Counted as one,
    each wait pushed the write back by the 5-second backoff, put "owner write failed" on the lead's
    journey and spent one of its ``MAX_ATTEMPTS``, in a burst that only had to wait a second for the
    budget. ``outcome_unknown`` is left as the send set it: a provider that applies a batch in parts
    may have applied some before the limit, so those are read back before they are sent again."""
    due = timezone.now() + timedelta(seconds=max(retry_after, BUDGET_WAIT_FLOOR))
    OwnerWrite.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=WriteStatus.RETRYING, next_attempt_at=due
    )
    for row in rows:
        row.status, row.next_attempt_at = WriteStatus.RETRYING, due


def owners_in_place(
    client: CrmClient, object_type: str, owner_property: str, rows: Sequence[OwnerWrite]
) -> dict[OwnerWrite, object]:
    """The rows whose record already has their owner (one batch read through the provider contract)."""
    records = {
        record.id: record
        for record in client.batch_read(
            object_type, [row.record_id for row in rows], properties=[owner_property]
        )
    }
    return {
        row: records[row.record_id]
        for row in rows
        if row.record_id in records
        and str(records[row.record_id].properties.get(owner_property) or "") == str(row.owner_external_id)
    }


def _written(rows: Sequence[OwnerWrite], batch_size: int, *, found: bool = False) -> None:
    """Record rows as written; ``found``: by a read back after a send that got no answer."""
    if not rows:
        return
    now = timezone.now()
    how = " (the CRM did not answer in time; read back: in place)" if found else ""
    done = {"status": WriteStatus.WRITTEN, "written_at": now, "batch_size": batch_size}
    done |= {"last_error": "", "outcome_unknown": False}
    with transaction.atomic():
        # One UPDATE for the batch: every value but the attempt count is the same for all rows, and
        # a bulk_update's CASE per row and field cost a fifth of the worker's CPU in a burst.
        OwnerWrite.objects.filter(pk__in=[row.pk for row in rows]).update(**done, attempts=F("attempts") + 1)
        for row in rows:
            for name, value in done.items():
                setattr(row, name, value)
            row.attempts += 1
        journey.record(
            journey.event(
                row.decision.lead_id,
                JourneyKind.WRITTEN,
                f"owner {row.owner_external_id} ({row.decision.rep}) written to the CRM in "
                f"{row.latency_ms:.0f} ms (batch of {batch_size}){how}",
                {
                    "latency_ms": row.latency_ms,
                    "batch_size": batch_size,
                    "attempt": row.attempts,
                    "found": found,
                },
                row.decision,
            )
            for row in rows
        )


def _failed(rows: Sequence[OwnerWrite], message: str, *, wait: float = 0.0) -> None:
    _failed_each([(row, message) for row in rows], wait=wait)


def _failed_each(failures: Sequence[tuple[OwnerWrite, str]], *, wait: float = 0.0) -> None:
    """Record the failures; each row is tried again after its backoff, and not before ``wait``
    seconds (a write of unknown outcome waits for ``CRM_WRITE_SETTLE_SECONDS``)."""
    now = timezone.now()
    with transaction.atomic():
        for row, message in failures:
            row.attempts += 1
            row.last_error = message[:2000]
            gave_up = row.attempts >= MAX_ATTEMPTS
            row.status = WriteStatus.FAILED if gave_up else WriteStatus.RETRYING
            row.next_attempt_at = now + max(backoff(row.attempts), timedelta(seconds=wait))
            row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        journey.record(
            journey.event(
                row.decision.lead_id,
                JourneyKind.WRITE_FAILED,
                f"owner write failed (attempt {row.attempts}): {message}"
                + (
                    "; gave up: routed here but NOT owned in the CRM"
                    if row.status == WriteStatus.FAILED
                    else f"; retrying at {row.next_attempt_at:%H:%M:%S}"
                ),
                {"attempt": row.attempts, "error": message},
                row.decision,
            )
            for row, message in failures
        )
    for row, message in failures:
        logger.warning(
            "Owner write of %s %s failed (attempt %d): %s",
            row.object_type,
            row.record_id,
            row.attempts,
            message,
        )


def flush_everything_due() -> int:
    """Flush every connection with due rows (the beat's safety net for retries and lost flushes)."""
    now = timezone.now()
    due = OwnerWrite.objects.filter(_due(now)).values_list("connection_id", flat=True).distinct()
    return sum(flush(connection_id) for connection_id in list(due))
