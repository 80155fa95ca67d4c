"""A circuit breaker per provider account, its state shared by every process through the database.

pybreaker runs the state machine; ``ModelBreakerStorage`` keeps its state in a
``ProviderCircuitBreaker`` row with conditional UPDATEs and F() expressions (SQLite and
PostgreSQL alike). pybreaker lets every caller through in half-open; ``SharedCircuitBreaker``
narrows that to ONE probe across all processes: the probe is a lease on the row
(``crm_integrations/core/leases.py``: a conditional UPDATE), and a claim older than the probe
lease (its process died) can be taken over.

Only ``ProviderFailure`` (5xx, connection errors, timeouts) counts as a failure; any other
outcome, 4xx and 429 included, shows the provider is up and counts as a success.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pybreaker
from django.db.models import F, Q
from django.utils import timezone

from crm_integrations.core.errors import ProviderUnavailable
from crm_integrations.core.leases import RowLease

if TYPE_CHECKING:
    from crm_integrations.models import ProviderCircuitBreaker

CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN
#: The half-open probe's lease: stamped with when it was taken; released by the state's next change.
PROBE_LEASE = RowLease("probe_claimed_at", ends=False)
#: Seconds a closed state read in this process answers every read of that account's breaker in the
#: process (its clients, its pool threads) without the row: a lone lead's intake round made six
#: calls through two clients and read the row ten times (docs/benchmarks.md, fairness, "Twelfth
#: pass"). A breaker another process opens is seen here within as long; an open or half-open state,
#: and any change this process makes, are read from the row each time.
CLOSED_STATE_FRESH = 0.5


class ProviderFailure(Exception):
    """Raised inside ``AccountBreaker.protect()`` for an outcome that counts against the provider."""

    def __init__(self, description: str, *, response: Any = None) -> None:
        super().__init__(description)
        self.response = response


class _ProcessSnapshots:
    """The last row each account's breaker read in this process, and when (``CLOSED_STATE_FRESH``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the client's pool threads read and keep side by side
        self._rows: dict[str, tuple[float, ProviderCircuitBreaker]] = {}

    def closed(self, key: str) -> ProviderCircuitBreaker | None:
        """A copy of the account's row if it was read closed within ``CLOSED_STATE_FRESH``."""
        with self._lock:
            kept = self._rows.get(key)
        if kept is None or kept[1].state != CLOSED or time.monotonic() - kept[0] >= CLOSED_STATE_FRESH:
            return None
        return copy.copy(kept[1])

    def keep(self, key: str, row: ProviderCircuitBreaker) -> None:
        with self._lock:
            self._rows[key] = (time.monotonic(), copy.copy(row))

    def forget(self, key: str | None = None) -> None:
        """The account's snapshot (every one, with no key: the test suite, between tests) is dropped."""
        with self._lock:
            if key is None:
                self._rows.clear()
            else:
                self._rows.pop(key, None)


SNAPSHOTS = _ProcessSnapshots()


class ModelBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker storage in one ``ProviderCircuitBreaker`` row.

    Reading ``state`` answers from the process's closed snapshot while fresh (``CLOSED_STATE_FRESH``),
    otherwise re-reads the row; the other getters answer from the last row read, which pybreaker
    reads right after ``state`` within one call. Every write is a single UPDATE, and drops the
    process's snapshot so that the next read sees it.
    """

    def __init__(self, provider: str, account: str) -> None:
        from crm_integrations.models import ProviderCircuitBreaker

        super().__init__(f"{provider}:{account}")
        self._model = ProviderCircuitBreaker
        self._key = f"{provider}:{account}"
        self._lookup = {"provider": provider, "account": account}
        self._row = SNAPSHOTS.closed(self._key) or self._load()

    def _load(self) -> ProviderCircuitBreaker:
        row, _ = self._model.objects.get_or_create(**self._lookup)
        SNAPSHOTS.keep(self._key, row)
        return row

    def _rows(self) -> Any:
        return self._model.objects.filter(**self._lookup)

    def _update(self, rows: Any = None, **values: Any) -> int:
        SNAPSHOTS.forget(self._key)
        return (rows if rows is not None else self._rows()).update(updated_at=timezone.now(), **values)

    def refresh(self) -> ProviderCircuitBreaker:
        row = self._rows().first()
        if row is None:
            row = self._load()
        else:
            SNAPSHOTS.keep(self._key, row)
        self._row = row
        return row

    @property
    def row(self) -> ProviderCircuitBreaker:
        """The last snapshot read."""
        return self._row

    @property
    def state(self) -> str:
        fresh = SNAPSHOTS.closed(self._key)
        if fresh is not None:
            self._row = fresh
            return CLOSED
        return self.refresh().state

    @state.setter
    def state(self, state: str) -> None:
        values: dict[str, Any] = {"state": state}
        if state != HALF_OPEN:
            values["probe_claimed_at"] = None
        previous = self._row.state
        if self._update(self._rows().exclude(state=state), **values):
            self._record_transition(previous, state)
        else:
            self._update(**values)  # already in that state: clear the probe lease all the same
        self._row.state = state

    def _record_transition(self, previous: str, state: str) -> None:
        """One ``CircuitBreakerTransition`` per change actually made here (the health page lists them)."""
        from crm_integrations.models import CircuitBreakerTransition

        CircuitBreakerTransition.objects.create(
            **self._lookup, from_state=previous if previous != state else CLOSED, to_state=state
        )

    def increment_counter(self) -> None:
        self._update(fail_counter=F("fail_counter") + 1)
        self.refresh()

    def reset_counter(self) -> None:
        if self._row.fail_counter:
            self._update(self._rows().filter(fail_counter__gt=0), fail_counter=0)
            self._row.fail_counter = 0

    def increment_success_counter(self) -> None:
        self._update(success_counter=F("success_counter") + 1)
        self.refresh()

    def reset_success_counter(self) -> None:
        if self._row.success_counter:
            self._update(self._rows().filter(success_counter__gt=0), success_counter=0)
            self._row.success_counter = 0

    @property
    def counter(self) -> int:
        return self._row.fail_counter

    @property
    def success_counter(self) -> int:
        return self._row.success_counter

    @property
    def opened_at(self) -> datetime | None:
        return self._row.opened_at

    @opened_at.setter
    def opened_at(self, value: datetime) -> None:
        self._update(opened_at=value)
        self._row.opened_at = value

    def claim_probe(self, reset_timeout: float, lease: float) -> bool:
        """Atomically become the one half-open probe; False if it is not time or another holds it.

        Claimable: open for at least ``reset_timeout``, or half-open with a probe lease older than
        ``lease`` (its process died or hung) or none at all. (An open breaker holds no probe lease:
        every change of state but to half-open clears it.)
        """
        now = timezone.now()
        cooled_down = Q(state=OPEN) & (
            Q(opened_at__lte=now - timedelta(seconds=reset_timeout)) | Q(opened_at__isnull=True)
        )
        was_open = self._rows().filter(state=OPEN).exists()
        claimed = PROBE_LEASE.take(
            self._rows().filter(cooled_down | Q(state=HALF_OPEN)),
            timedelta(seconds=lease),
            state=HALF_OPEN,
            success_counter=0,
            updated_at=now,
        )
        self.refresh()
        if claimed is not None and was_open:
            self._record_transition(OPEN, HALF_OPEN)
        return claimed is not None


class _SingleProbeHalfOpenState(pybreaker.CircuitHalfOpenState):
    """Half-open, but only the caller holding the probe claim gets through."""

    _breaker: SharedCircuitBreaker

    def before_call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if not (self._breaker.owns_probe() or self._breaker.claim_probe()):
            raise pybreaker.CircuitBreakerError("A probe call is already in flight")


class SharedCircuitBreaker(pybreaker.CircuitBreaker):
    """pybreaker's breaker over ``ModelBreakerStorage``, allowing one probe across processes."""

    _state_storage: ModelBreakerStorage

    def __init__(
        self, storage: ModelBreakerStorage, *, fail_max: int, reset_timeout: float, probe_lease: float
    ) -> None:
        self._probe = threading.local()
        self.probe_lease = probe_lease
        super().__init__(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            exclude=[lambda exc: not isinstance(exc, ProviderFailure)],
            state_storage=storage,
            name=storage.name,
            throw_new_error_on_trip=False,  # the caller sees the real failure
        )

    def _create_new_state(self, new_state: str, prev_state: Any = None, notify: bool = False) -> Any:
        if new_state == HALF_OPEN:
            return _SingleProbeHalfOpenState(self, prev_state=prev_state, notify=notify)
        return super()._create_new_state(new_state, prev_state=prev_state, notify=notify)

    @property
    def state(self) -> Any:
        """The shared state. A change made by another process is adopted without side effects
        (pybreaker would reset the shared counters here and lose other processes' counts)."""
        current = self.current_state
        if current != self._state.name:
            with self._lock:
                self._state = self._create_new_state(current, prev_state=self._state, notify=False)
        return self._state

    @state.setter
    def state(self, state_str: str) -> None:
        with self._lock:
            self._state = self._create_new_state(state_str, prev_state=self._state, notify=True)

    def owns_probe(self) -> bool:
        return getattr(self._probe, "owner", False)

    def claim_probe(self) -> bool:
        self._probe.owner = self._state_storage.claim_probe(self.reset_timeout, self.probe_lease)
        return self._probe.owner

    def release_probe(self) -> None:
        self._probe.owner = False

    def half_open(self) -> None:
        """Called by pybreaker once the cool-down is over: claim the probe or fail fast."""
        if not self.claim_probe():
            raise pybreaker.CircuitBreakerError("Another process claimed the probe call")
        with self._lock:
            self._state = self._create_new_state(HALF_OPEN, prev_state=self._state, notify=True)


class AccountBreaker:
    """The breaker of one provider account, as the HTTP client uses it."""

    def __init__(
        self, provider: str, account: str, *, fail_max: int, reset_timeout: float, probe_lease: float
    ) -> None:
        self.key = f"{provider}:{account}"
        self.storage = ModelBreakerStorage(provider, account)
        self.breaker = SharedCircuitBreaker(
            self.storage, fail_max=fail_max, reset_timeout=reset_timeout, probe_lease=probe_lease
        )

    def remaining(self) -> float:
        """Seconds left of the cool-down (open) or of the probe's lease (half-open); 0 when a call may try."""
        row = self.storage.row
        now = timezone.now()
        if row.state == OPEN and row.opened_at:
            return max(0.0, (row.opened_at - now).total_seconds() + self.breaker.reset_timeout)
        if row.state == HALF_OPEN:
            lease = timedelta(seconds=self.breaker.probe_lease)
            return PROBE_LEASE.remaining(row.probe_claimed_at, lease) or 0.0
        return 0.0

    def _unavailable(self, reason: str) -> ProviderUnavailable:
        row = self.storage.row
        remaining = self.remaining()
        if row.state == HALF_OPEN:  # the probe decides soon: look again after a cool-down at most
            remaining = min(remaining, self.breaker.reset_timeout)
        return ProviderUnavailable(
            f"{self.key}: circuit breaker {row.state} ({reason})",
            retry_after=max(1.0, remaining),
            code="circuit_open",
        )

    def check(self) -> str:
        """Fail fast (no network) while open or while another caller's probe is in flight.

        Returns the state seen. Called before the rate limiter, so a dead provider costs no budget.
        """
        state = self.storage.state
        if state != CLOSED and self.remaining() > 0:
            raise self._unavailable("failing fast")
        return state

    @contextmanager
    def protect(self) -> Iterator[str]:
        """Run the block as one call through the breaker; yields ``"closed"`` or ``"half-open"`` (probe).

        Raise ``ProviderFailure`` inside the block for outcomes that count against the provider.
        """
        try:
            with self.breaker.calling():
                yield HALF_OPEN if self.breaker.owns_probe() else CLOSED
        except pybreaker.CircuitBreakerError as exc:
            raise self._unavailable(str(exc)) from None
        finally:
            self.breaker.release_probe()
