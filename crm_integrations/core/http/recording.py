"""One ``ProviderApiCall`` row and one log line per attempt, built only from fields that hold no secret.

Nothing here ever sees a URL, query string, header or body: only the endpoint *template*, the
status, the error kind and timings. Text is still passed through ``redact_text`` as a last guard.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import DatabaseError, router, transaction

from crm_integrations.core.errors import CrmError
from crm_integrations.core.redaction import redact_text
from crm_integrations.core.row_inserts import insert_all

logger = logging.getLogger("crm_integrations.http")


def error_kind(error: BaseException) -> str:
    """``RateLimited`` -> ``rate_limited``; a code such as ``circuit_open`` wins when we set it."""
    if isinstance(error, CrmError) and error.code in {
        "circuit_open",
        "local_rate_limit",
        "rate_limiter_unavailable",
        "weight_exceeds_budget",
        "timeout",
        "connection_error",
    }:
        return error.code
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()[:40]


def safe_template(endpoint: str) -> str:
    """The endpoint template as stored: no query string, secrets masked, bounded length."""
    return redact_text(endpoint.split("?", 1)[0])[:255]


@dataclass
class CallRecord:
    provider: str
    account: str
    method: str
    endpoint: str
    attempt: int
    status_code: int | None = None
    error_kind: str = ""
    latency_ms: int = 0
    units: int = 0
    queued_ms: int = 0
    breaker_state: str = "closed"
    correlation_id: str = ""

    def log(self) -> None:
        level = logging.DEBUG if not self.error_kind else logging.WARNING
        logger.log(
            level,
            "%s:%s %s %s -> %s%s in %d ms (attempt %d, breaker %s)",
            self.provider,
            self.account,
            self.method,
            self.endpoint,
            self.status_code if self.status_code is not None else "no response",
            f" {self.error_kind}" if self.error_kind else "",
            self.latency_ms,
            self.attempt,
            self.breaker_state,
        )


@dataclass
class CallMeter:
    """The budget units of the calls made inside ``call_meter``: this piece of work's own, where the
    account's call records also hold every other process's calls (write-backs beside an intake round)."""

    units: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, units: int) -> None:
        with self._lock:  # the chunks of one read are recorded from a few threads at once
            self.units += units


_METER: ContextVar[CallMeter | None] = ContextVar("crm_call_meter", default=None)


@contextmanager
def call_meter() -> Iterator[CallMeter]:
    """Count the units of the calls made inside, in this context and the pool threads it hands calls
    to (crm_integrations/core/http/concurrent.py carries the context); used by the intake's pacing
    (crm_integrations/intake/pacing.py) to know what a round itself cost."""
    meter = CallMeter()
    token = _METER.set(meter)
    try:
        yield meter
    finally:
        _METER.reset(token)


def record_call(record: CallRecord) -> None:
    """Log the attempt and store it; a failure to store never fails the call itself."""
    from crm_integrations.models import ProviderApiCall

    meter = _METER.get()
    if meter is not None:
        meter.add(record.units)
    record.endpoint = safe_template(record.endpoint)
    record.correlation_id = redact_text(record.correlation_id or "")[:100]
    record.log()
    row = ProviderApiCall(
        provider=record.provider,
        account=record.account,
        method=record.method,
        endpoint=record.endpoint,
        status_code=record.status_code,
        error_kind=record.error_kind,
        latency_ms=record.latency_ms,
        units=record.units,
        queued_ms=record.queued_ms,
        attempt=record.attempt,
        breaker_state=record.breaker_state,
        correlation_id=record.correlation_id,
    )
    # Inside the caller's transaction a savepoint keeps a failed insert from breaking it; outside one
    # the insert is a statement of its own, and wrapping it in BEGIN and COMMIT only cost two more
    # (every CRM call makes this insert: docs/benchmarks.md, "Fifteenth pass").
    alias = router.db_for_write(ProviderApiCall)
    in_transaction = transaction.get_connection(alias).in_atomic_block
    try:
        with transaction.atomic(using=alias) if in_transaction else nullcontext():
            insert_all([row])
    except DatabaseError:
        logger.warning("Could not record the API call of %s:%s", record.provider, record.account)
