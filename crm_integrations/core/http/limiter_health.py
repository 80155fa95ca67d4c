"""Makes a rate limiter that keeps failing visible: on the connection and in the log, never a silent stall.

``ProviderHttpClient`` (crm_integrations/core/http/client.py) reports here each time the shared
limiter's storage fails (``RateLimited`` with code ``rate_limiter_unavailable``) and each time it
works. A failure marks every live connection of that provider account with
``rate_limiter_failing_since`` and ``rate_limiter_error`` (shown on the integrations page,
templates/crm_integrations/integrations.html) and logs an error at most once per
``LOG_EVERY`` per account and process, for alerting to pick up. A call that gets through clears
the mark: at once in a process that saw the failure, otherwise within ``RECHECK_EVERY`` (another
process may have marked it), so a working limiter costs one cheap UPDATE a minute per account.

Reporting never fails the call: a database error here is logged and dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.utils import timezone

from crm_integrations.core.redaction import redact_text

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from crm_integrations.models import OrganizationIntegration

logger = logging.getLogger("crm_integrations.http")

#: One error log line per account and process at most this often (seconds) while failing.
LOG_EVERY = 300.0
#: How often (seconds) a process that saw no failure checks for another process's mark to clear.
RECHECK_EVERY = 60.0
ERROR_TEXT_MAX = 300


def describe(error: BaseException) -> str:
    """What staff see: the storage error's type and message, secrets masked, bounded."""
    cause = error.__cause__ or error
    return redact_text(f"{type(cause).__name__}: {cause}")[:ERROR_TEXT_MAX]


class LimiterHealth:
    """Per-process bookkeeping of which accounts' limiters failed and when that was last said."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failing: set[tuple[str, str]] = set()
        self._last_logged: dict[tuple[str, str], float] = {}
        self._last_checked: dict[tuple[str, str], float] = {}

    def failed(self, provider: str, account: str, error: BaseException) -> None:
        key = (provider, account)
        text = describe(error)
        now = self._clock()
        with self._lock:
            self._failing.add(key)
            last = self._last_logged.get(key)
            due = last is None or now - last >= LOG_EVERY
            if due:
                self._last_logged[key] = now
        since = _mark(provider, account, text)
        if due:
            logger.error(
                "Rate limiter for %s:%s is failing%s: %s. Provider calls of this account are held back "
                "until it works again.",
                provider,
                account,
                f" since {since:%Y-%m-%d %H:%M:%S %Z}" if since else "",
                text,
            )

    def worked(self, provider: str, account: str) -> None:
        key = (provider, account)
        now = self._clock()
        with self._lock:
            saw_failure = key in self._failing
            last = self._last_checked.get(key)
            if not saw_failure and last is not None and now - last < RECHECK_EVERY:
                return
            self._failing.discard(key)
            self._last_logged.pop(key, None)
            self._last_checked[key] = now
        if _clear(provider, account) and saw_failure:
            logger.warning("Rate limiter for %s:%s works again.", provider, account)


def _connections(provider: str, account: str) -> QuerySet[OrganizationIntegration]:
    from crm_integrations.models import ConnectionStatus, OrganizationIntegration

    return OrganizationIntegration.objects.filter(
        integration__provider=provider, external_account_id=account
    ).exclude(status=ConnectionStatus.DISCONNECTED)


def _mark(provider: str, account: str, text: str) -> datetime | None:
    """Set the mark where none is (the first failure's time stays); return when failing began."""
    try:
        with transaction.atomic():
            connections = _connections(provider, account)
            connections.filter(rate_limiter_failing_since__isnull=True).update(
                rate_limiter_failing_since=timezone.now(), rate_limiter_error=text
            )
            return (
                connections.exclude(rate_limiter_failing_since=None)
                .order_by("rate_limiter_failing_since")
                .values_list("rate_limiter_failing_since", flat=True)
                .first()
            )
    except DatabaseError:
        logger.warning("Could not mark the failing rate limiter on %s:%s", provider, account)
        return None


def _clear(provider: str, account: str) -> int:
    try:
        with transaction.atomic():
            return (
                _connections(provider, account)
                .exclude(rate_limiter_failing_since=None)
                .update(rate_limiter_failing_since=None, rate_limiter_error="")
            )
    except DatabaseError:
        logger.warning("Could not clear the rate limiter mark on %s:%s", provider, account)
        return 0


#: The process's one instance, used by every ``ProviderHttpClient``.
health = LimiterHealth()
