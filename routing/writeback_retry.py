"""Services: staff ask for owner write-backs to be tried again now ("Retry now" in the admin)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from . import writeback
from .models import OwnerWrite, WriteStatus


@dataclass(frozen=True)
class RetryResult:
    queued: int
    skipped: int

    def __str__(self) -> str:
        text = f"{self.queued} owner write-back(s) will be sent now"
        return text + (f"; {self.skipped} skipped (already written or being sent)" if self.skipped else "")


def retry_now(rows: QuerySet[OwnerWrite]) -> RetryResult:
    """Make these write-backs due now (given-up ones pending again) and flush their connections.

    Conditional updates: a row a flush is sending, or has written, meanwhile is left alone.
    """
    chosen = list(rows.values_list("pk", flat=True))
    OwnerWrite.objects.filter(pk__in=chosen, status=WriteStatus.FAILED).update(status=WriteStatus.PENDING)
    due = OwnerWrite.objects.filter(pk__in=chosen, status__in=[WriteStatus.PENDING, WriteStatus.RETRYING])
    connections = sorted({str(c) for c in due.values_list("connection_id", flat=True)})
    queued = due.update(next_attempt_at=timezone.now())
    for connection_id in connections:
        writeback.request_flush(connection_id)
    return RetryResult(queued=queued, skipped=len(chosen) - queued)
