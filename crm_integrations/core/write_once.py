"""Writes users would see twice are sent once: after an unknown outcome, read back, send the rest.

A batch write that timed out waiting for its answer, or whose connection broke after it was sent,
raises ``OutcomeUnknown``: the CRM may have applied all of it, some, or none. Sending it again
blindly is how a lead got its owner written three times and a rep two tasks for one lead.
``send_once`` asks the CRM instead (one read through the provider contract: ``batch_read`` for
owner and status writes, ``find_follow_up_tasks`` for tasks), counts what landed as done and sends
only the rest, at most ``sends`` times in all. Used by ``routing/writeback.py`` (owners, tasks)
and ``contracts/status_sync.py`` (the deal's status).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .errors import OutcomeUnknown, RetryLater

T = TypeVar("T", bound=Hashable)
R = TypeVar("R")

#: Sends per ``send_once`` call: the first, and one more for what the read back did not find.
SENDS = 2


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
    return Sent(landed=landed, unknown=tuple(pending), error=error)


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
