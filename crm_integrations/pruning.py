"""Retention: which rows are out of date, and removing (or emptying) them in small batches.

Each app lists its policies in its own ``retention`` module (crm_integrations/retention.py,
routing/retention.py), found here by name so this layer never imports the apps above it. The
days come from ``settings.DATA_RETENTION`` (0 keeps the data for ever).

A batch is at most ``BATCH_SIZE`` ids, picked and acted on in one short transaction, so no table
is locked for long and an interrupted run loses nothing: the next run goes on where it stopped.
Batches walk the ids upward, so rows a policy must keep for now (a pending webhook event, a
record not yet rolled up) are stepped over rather than picked again and again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

Rows = models.QuerySet


def delete_rows(rows: Rows) -> int:
    """Delete, counting the policy's own rows (not what cascaded with them)."""
    _, per_model = rows.delete()
    return per_model.get(rows.model._meta.label, 0)


@dataclass(frozen=True)
class RetentionPolicy:
    """``due(cutoff)``: the rows to act on; ``act(rows)``: what to do with one batch of them."""

    name: str
    label: str
    setting: str
    due: Callable[[datetime], Rows]
    act: Callable[[Rows], int] = field(default=delete_rows)
    verb: str = "delete"

    @property
    def days(self) -> int:
        return int(settings.DATA_RETENTION[self.setting])

    def cutoff(self, now: datetime) -> datetime | None:
        """Rows older than this are due; None when the data is kept for ever."""
        return now - timedelta(days=self.days) if self.days > 0 else None


_registry: dict[str, RetentionPolicy] = {}


def register(*policies: RetentionPolicy) -> None:
    for policy in policies:
        _registry[policy.name] = policy


def all_policies() -> list[RetentionPolicy]:
    """Every app's policies, in the order they run (children before the rows they point at)."""
    autodiscover_modules("retention")
    return list(_registry.values())


def batch_size() -> int:
    return max(1, int(settings.DATA_RETENTION["BATCH_SIZE"]))


def run_policy(
    policy: RetentionPolicy,
    *,
    now: datetime | None = None,
    size: int | None = None,
    max_batches: int | None = None,
) -> int:
    """Act on every due row, one committed batch at a time; returns how many rows it acted on.

    ``max_batches`` stops early (the rest waits for the next run).
    """
    cutoff = policy.cutoff(now or timezone.now())
    if cutoff is None:
        return 0
    size = size or batch_size()
    done, after, batches = 0, None, 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            due = policy.due(cutoff)
            if after is not None:
                due = due.filter(pk__gt=after)
            ids = list(due.order_by("pk").values_list("pk", flat=True)[:size])
            if not ids:
                break
            # The conditions are checked again in the statement that acts, not only when picking.
            done += policy.act(policy.due(cutoff).filter(pk__in=ids))
        after, batches = ids[-1], batches + 1
    return done


def run_all(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {policy.name: run_policy(policy, now=now) for policy in all_policies()}


@dataclass(frozen=True)
class Preview:
    policy: RetentionPolicy
    cutoff: datetime | None
    rows: int


def preview(*, now: datetime | None = None) -> list[Preview]:
    """What each policy would act on now (a count query each; nothing changes)."""
    now = now or timezone.now()
    previews = []
    for policy in all_policies():
        cutoff = policy.cutoff(now)
        previews.append(Preview(policy, cutoff, policy.due(cutoff).count() if cutoff else 0))
    return previews
