"""Rows claimed with a token: a batch of work that one worker takes, never two.

One conditional UPDATE stamps up to ``limit`` free rows with a new token and the time, so two
workers on any database never take the same row; the worker reads its rows back by the token. A
row claimed by another worker is skipped until its claim is ``timeout`` old (that worker died),
then it is free again.

Used by ``crm_integrations/intake/batches.py`` (webhook events taken in by batch) and
``routing/writeback.py`` (owner writes sent by batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.db.models import Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class TokenClaims:
    """How a table's rows are claimed.

    ``unclaimed``: the rows nobody claimed (e.g. an empty token, or a status before "sending").
    ``claimed_at``: the column that gets the claim's time; ``claimed_by``: the one that gets its token.
    """

    unclaimed: Q
    claimed_at: str
    timeout: timedelta
    claimed_by: str = "claim_token"
    order_by: tuple[str, ...] = ("created_at", "pk")

    def free(self, now: datetime) -> Q:
        """Rows nobody claimed, or whose claim is ``timeout`` old at ``now``."""
        return self.unclaimed | Q(**{f"{self.claimed_at}__lte": now - self.timeout})

    def take(
        self, rows: QuerySet[Any], limit: int, *, now: datetime | None = None, **also: Any
    ) -> QuerySet[Any]:
        """Claim up to ``limit`` of the free ``rows``, first in ``order_by`` first, setting ``also``
        with the claim; the rows holding this claim's token (none when nothing was free)."""
        now = now or timezone.now()
        free = rows.filter(self.free(now))
        ids = list(free.order_by(*self.order_by).values_list("pk", flat=True)[:limit])
        if not ids:
            return rows.none()
        token = uuid4().hex
        free.filter(pk__in=ids).update(**{self.claimed_by: token, self.claimed_at: now, **also})
        return rows.model._default_manager.filter(**{self.claimed_by: token})
