"""The sandbox's in-memory Salesforce org: records by object, id counters, tokens, query cursors and the
API usage. Every read or write of org data happens under ``SandboxState.lock``.

Records are plain dicts of field values (what the REST API returns, minus ``attributes``), so queries,
writes and the state file (snapshot.py) all read the same thing.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..clock import Clock
from ..requestlog import RequestLog
from .config import SandboxConfig
from .faults import FaultInjector
from .ids import PREFIXES, make_id
from .schema import OBJECTS

DAY = 86400.0


def sf_datetime(epoch_ms: int) -> str:
    """Salesforce's REST datetime format: ``2026-12-06T02:31:20.000+0000``."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}+0000"


@dataclass
class AccessToken:
    token: str
    user_id: str
    scope: str
    issued_ms: int
    expires_at: float  # epoch seconds by the sandbox clock
    refresh_token: str | None = None  # the refresh token it came from (revoking that revokes this)
    revoked: bool = False

    def valid(self, now: float) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass
class RefreshToken:
    token: str
    user_id: str
    scope: str
    revoked: bool = False
    expires_at: float | None = None  # epoch seconds by the sandbox clock; None = until revoked

    def valid(self, now: float) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass
class Cursor:
    """A query's frozen result (rows already shaped) and when its locator stops working."""

    rows: list[dict[str, Any]]
    batch: int
    expires: float


@dataclass(frozen=True)
class Change:
    """A record created or updated, for Outbound Messages (outbound.py)."""

    object_name: str
    record_id: str
    created: bool
    before: dict[str, Any] = field(default_factory=dict)


class ApiUsage:
    """The org's API calls in the last 24 hours (a rolling window, as Salesforce counts them)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._calls: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._calls and self._calls[0] <= now - DAY:
            self._calls.popleft()

    def used(self) -> int:
        self._prune(self._clock.time())
        return len(self._calls)

    def record(self) -> int:
        now = self._clock.time()
        self._prune(now)
        self._calls.append(now)
        return len(self._calls)

    def set_used(self, count: int) -> None:
        """Pretend ``count`` calls were made just now (tests, the control API)."""
        now = self._clock.time()
        self._calls = deque([now] * count)

    def saved(self) -> list[float]:
        return list(self._calls)

    def restore(self, calls: list[float]) -> None:
        self._calls = deque(sorted(calls))


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        #: Runtime settings as started, restored by every reset (tests change them).
        self.initial_runtime = config.runtime_view()
        self.lock = threading.RLock()
        self.clock = Clock()
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in OBJECTS}
        self.counters: dict[str, int] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.consents: dict[str, dict[str, Any]] = {}
        self.cursors: dict[str, Cursor] = {}
        self.usage = ApiUsage(self.clock)
        self.requests = RequestLog()
        self.faults = FaultInjector()
        self.stop_event = threading.Event()
        self._listeners: list[Callable[[Change], None]] = []

    def new_id(self, object_name: str) -> str:
        prefix = PREFIXES[object_name]
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return make_id(prefix, self.counters[prefix])

    def now(self) -> str:
        return sf_datetime(self.clock.now_ms())

    def find(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """The object name and record with this id, whatever its object."""
        for name, table in self.records.items():
            if record_id in table:
                return name, table[record_id]
        return None

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        """``listener`` runs under the lock for every change, so it must only enqueue."""
        self._listeners.append(listener)

    def emit(self, change: Change) -> None:
        for listener in self._listeners:
            listener(change)

    def clear(self) -> None:
        self.records = {name: {} for name in OBJECTS}
        self.counters = {}
        self.access_tokens, self.refresh_tokens, self.codes, self.consents, self.cursors = {}, {}, {}, {}, {}
