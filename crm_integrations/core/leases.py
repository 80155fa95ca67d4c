"""A lease kept in a row: one holder at a time across every process, and no lock held over the network.

A lease is taken with a conditional UPDATE (set the lease's columns where it is free or has run out),
so it holds on SQLite and PostgreSQL alike, and a holder that dies only delays the next one by the
lease's length. It is released with an UPDATE that matches the holder's mark, so a holder whose
lease ran out while it worked, and was taken over, never frees the next holder's lease.

Used by ``crm_integrations/core/tokens.py`` (one token refresher per connection),
``contracts/status_out.py`` (one status writer per contract) and
``crm_integrations/core/http/breaker.py`` (one half-open probe per provider account).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.db.models import Q, QuerySet
from django.utils import timezone

#: What marks a lease's holder: its token, or (a table without a token column) the lease's stamp.
Mark = str | datetime


@dataclass(frozen=True)
class RowLease:
    """Where a table keeps a lease on each of its rows.

    ``stamp``: the lease's time column, empty while nobody holds it: when the lease ends
    (``ends=True``) or when it was taken (``ends=False``, e.g. the breaker's ``probe_claimed_at``).
    ``owner``: the column for the holder's token. Without one, an end stamp is the holder's mark,
    made one of a kind by up to a second of random microseconds (a lease that much longer); a start
    stamp then marks the holder to the microsecond only, for a lease its row's own state change
    clears (the breaker's probe).
    """

    stamp: str
    owner: str = ""
    ends: bool = True

    def free(self, length: timedelta, now: datetime) -> Q:
        """Rows whose lease nobody holds, or whose lease ran out (at ``now`` or before)."""
        cutoff = now if self.ends else now - length
        return Q(**{f"{self.stamp}__isnull": True}) | Q(**{f"{self.stamp}__lte": cutoff})

    def take(self, rows: QuerySet[Any], length: timedelta, **also: Any) -> Mark | None:
        """Take the lease of ``rows`` (one row, by its key) for ``length``, setting ``also`` in the
        same UPDATE; the holder's mark, or None when another holds it (or there is no row)."""
        now = timezone.now()
        values = dict(also)
        mark: Mark
        if self.owner:
            mark = values[self.owner] = uuid4().hex
            values[self.stamp] = now + length if self.ends else now
        elif self.ends:
            mark = values[self.stamp] = now + length + timedelta(microseconds=1 + secrets.randbelow(999_999))
        else:
            mark = values[self.stamp] = now
        taken = rows.filter(self.free(length, now)).update(**values)
        return mark if taken else None

    def release(self, rows: QuerySet[Any], mark: Mark, **also: Any) -> bool:
        """Free the lease if ``mark`` still holds it (one taken over by another stays theirs)."""
        held_by = {self.owner or self.stamp: mark}
        values = {self.stamp: None, **({self.owner: ""} if self.owner else {}), **also}
        return rows.filter(**held_by).update(**values) > 0

    def remaining(self, stamp: datetime | None, length: timedelta) -> float | None:
        """Seconds left of a lease with this ``stamp`` (0 once it ran out); None when none is held."""
        if stamp is None:
            return None
        ends = stamp if self.ends else stamp + length
        return max(0.0, (ends - timezone.now()).total_seconds())
