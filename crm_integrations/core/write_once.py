"""Writes users would see twice are sent once: after an unknown outcome, read back, send the rest.

A batch write that timed out waiting for its answer, or whose connection broke after it was sent,
raises ``OutcomeUnknown``: the CRM may have applied all of it, some, or none. Sending it again
blindly is how a lead got its owner written three times and a rep two tasks for one lead.
``send_once`` asks the CRM instead (one read through the provider contract: ``batch_read`` for
owner and status writes, ``find_follow_up_tasks`` for tasks) and counts what landed as done.

What the read does not find is not sent again at once: a request the CRM holds before applying it
(a slow or queued write, the sandbox's ``timeoutShare`` fault) lands after our read, and a second
send would then apply it twice (the reliability drills showed it: devtools/benchmarks/drills/). It
stays of unknown outcome, with an ``OutcomeUnknown`` whose ``retry_after`` is at least
``CRM_WRITE_SETTLE_SECONDS``; the caller's next try, that long later, reads it back again and sends
only what still did not land. Used by ``routing/writeback.py`` (owners, tasks) and
``contracts/status_out.py`` (the deal's status).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings

from .errors import OutcomeUnknown, RetryLater

T = TypeVar("T", bound=Hashable)
R = TypeVar("R")

#: Sends per ``send_once`` call: one. What a read back does not find waits for the caller's next
#: try (after ``CRM_WRITE_SETTLE_SECONDS``): sending it again at once could double a held write.
SENDS = 1


@dataclass(frozen=True)
class Sent(Generic[T, R]):
    """How a ``send_once`` ended.

    ``answer`` is the CRM's answer to the last send, which carried ``answered``; ``landed`` maps
    the items found applied after an unknown outcome to what the read found; ``unknown`` holds the
    items whose last send's outcome is still unknown (``error`` says why): read them back before
    any later try.
    """

    answer: R | None = None
    answered: tuple[T, ...] = ()
    landed: dict[T, Any] = field(default_factory=dict)
    unknown: tuple[T, ...] = ()
    error: OutcomeUnknown | None = None


def send_once(
    items: Sequence[T],
    send: Callable[[list[T]], R],
    read_back: Callable[[list[T]], Mapping[T, Any]],
    *,
    sends: int = SENDS,
    landed: dict[T, Any] | None = None,
) -> Sent[T, R]:
    """``send(items)``; on ``OutcomeUnknown``, ``read_back(items)`` says which landed (item -> what
    was found) and only the others are sent again. Other ``CrmError``s, the read back's included,
    propagate: the items sent are then of unknown outcome too (the caller keeps them so), and
    ``landed`` (when given, filled as items are found) still tells which were found applied."""
    pending = list(items)
    landed = {} if landed is None else landed
    error: OutcomeUnknown | None = None
    for _ in range(sends):
        if not pending:
            return Sent(landed=landed)
        try:
            return Sent(send(pending), tuple(pending), landed)
        except OutcomeUnknown as unknown:
            error = unknown
        pending = settle(pending, read_back, landed)
    if not pending:
        return Sent(landed=landed)
    return Sent(landed=landed, unknown=tuple(pending), error=_settling(error))


def _settling(error: OutcomeUnknown | None) -> OutcomeUnknown | None:
    """``error`` with a ``retry_after`` long enough for a write the CRM still holds to land first."""
    if error is None:
        return None
    settle_seconds = float(getattr(settings, "CRM_WRITE_SETTLE_SECONDS", 60.0))
    return OutcomeUnknown(
        f"{error.message} (not found written yet; checked again in {settle_seconds:.0f} s, not re-sent)",
        retry_after=max(error.retry_after, settle_seconds),
        status=error.status,
        code=error.code,
        correlation_id=error.correlation_id,
    )


def settle(items: list[T], read_back: Callable[[list[T]], Mapping[T, Any]], landed: dict[T, Any]) -> list[T]:
    """Read ``items`` back: those found go into ``landed``; the rest are returned (not applied).

    A read back that fails for now (``RetryLater``) leaves the write's outcome unknown: it raises
    ``OutcomeUnknown``, so that the next try reads back before it sends, too.
    """
    try:
        found = read_back(items)
    except RetryLater as error:
        raise OutcomeUnknown(
            f"{error.message} (reading back a write that got no answer)",
            retry_after=error.retry_after,
            status=error.status,
            code=error.code,
            correlation_id=error.correlation_id,
        ) from error
    landed.update({item: found[item] for item in items if item in found})
    return [item for item in items if item not in found]
