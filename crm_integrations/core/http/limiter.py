"""A rate limiter per provider account, shared by every process (SQLite file) or machine (Redis).

Budgets come from the providers, overridable by ``settings.CRM_RATE_LIMITS``
(crm_integrations/core/http/budgets.py: ``{"hubspot": [[100, 10]], ...}``: units per seconds).
Callers are queued, not dropped: ``acquire()`` sleeps until the budget has room, unless that wait
would exceed ``max_inline_wait``, in which case it raises ``RateLimited(retry_after=...)`` so a
Celery task reschedules itself instead of holding a worker.

Built on pyrate-limiter's buckets (its ``Limiter`` class is not used: it cannot say how long a
caller *would* wait before sleeping it, which the inline/reschedule decision needs):

* budgets up to ``LOG_MAX_UNITS`` units use the exact sliding-window log (``SQLiteBucket`` /
  ``RedisBucket``), one stored entry per unit;
* larger budgets (monday's millions of complexity points) use GCRA in a ``StateBucket``, a few
  numbers per account however heavy the calls, in ``RedisStateStore`` or the SQLite store below.

Each bucket is stored under a key naming its form and rates (``bucket_key``): processes that
disagree on a budget (a deploy raising it, a benchmark lifting it) then keep separate buckets
instead of one reading the other's data, which in Redis is a sorted set against a hash and fails
every call with ``WRONGTYPE``. A limiter whose storage keeps failing is reported on the
connection by ``limiter_health`` and logged, never a silent stall.

SQLite: one file per machine, every check-and-insert under an exclusive ``flock`` so processes
queue on it (pyrate-limiter's own file lock needs the ``filelock`` package, not a dependency here).
Redis: the check-and-insert is one Lua script; the clock is the Redis server's, so machines with
skewed clocks still share one window.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from pyrate_limiter import GCRA, AbstractBucket, Rate, RateItem, RedisBucket, SQLiteBucket, StateBucket
from pyrate_limiter.abstracts.store import StateStore
from pyrate_limiter.buckets.redis_bucket import LuaScript
from pyrate_limiter.buckets.sqlite_bucket import Queries
from pyrate_limiter.clocks import AbstractClock, WallClock

from crm_integrations.core.errors import InvalidRequest, RateLimited

from .budgets import Budget, rate_budgets

#: Above this many units per window, a per-unit log is too big: switch to GCRA.
LOG_MAX_UNITS = 10_000
#: Added to every computed wait so the re-check lands after the slot frees.
WAIT_BUFFER = 0.01
#: How often (seconds) a process trims expired log entries of a bucket it uses.
LEAK_EVERY = 30.0


def rates_from_budget(budget: Budget) -> list[Rate]:
    """``[[100, 10], [1000, 100]]`` (units, seconds) -> pyrate-limiter rates."""
    try:
        rates = [Rate(int(limit), int(float(seconds) * 1000)) for limit, seconds in budget]
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"A rate budget must be a list of [limit, seconds] pairs, not {budget!r}"
        ) from exc
    if not rates:
        raise ImproperlyConfigured("A rate budget needs at least one [limit, seconds] pair")
    return rates


class FileLock:
    """Re-entrant lock across threads (an RLock) and processes (``flock`` on a side file).

    The thread lock is taken first, so two threads of one process never share the flock.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._thread_lock.acquire(blocking, timeout):
            return False
        if self._depth == 0:
            try:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class _Lock(Protocol):
    def __enter__(self) -> object: ...
    def __exit__(self, *exc_info: object) -> object: ...


class _Storage(Protocol):
    def bucket(self, name: str, rates: list[Rate]) -> AbstractBucket: ...

    def bucket_lock(self) -> _Lock:
        """Held around each check-and-take and the wait computed from it."""
        ...


def _uses_log(rates: list[Rate]) -> bool:
    return all(rate.limit <= LOG_MAX_UNITS for rate in rates)


def bucket_key(name: str, rates: list[Rate]) -> str:
    """``log:100x10000:hubspot:12345``: the form and the rates first, the bucket name last.

    A log (sorted set) and GCRA state (hash) never share a key, and neither do two budgets; the
    fixed-shape prefix keeps keys of different names distinct whatever ``:`` the name holds.
    """
    form = "log" if _uses_log(rates) else "gcra"
    return f"{form}:{'_'.join(f'{rate.limit}x{rate.interval}' for rate in rates)}:{name}"


class SQLiteStateStore(StateStore):
    """GCRA state of one key in a SQLite row; read-modify-write under the storage's file lock."""

    is_async = False
    default_clock: AbstractClock = WallClock()
    TABLE = "crm_rate_state"

    def __init__(self, conn: sqlite3.Connection, lock: FileLock, key: str) -> None:
        self.conn = conn
        self.lock = lock
        self.key = key

    def _load(self, algorithm: Any, rates: list[Rate]) -> tuple:
        row = self.conn.execute(f"SELECT state FROM {self.TABLE} WHERE key = ?", (self.key,)).fetchone()  # noqa: S608
        state = tuple(json.loads(row[0])) if row else ()
        return state if len(state) == len(rates) else algorithm.initial(rates)

    def check(self, algorithm: Any, rates: list[Rate], now: int, weight: int) -> Any:
        with self.lock:
            new_state, decision = algorithm.step(rates, self._load(algorithm, rates), now, weight)
            if decision.allowed:
                self.conn.execute(
                    f"INSERT INTO {self.TABLE} (key, state) VALUES (?, ?) "  # noqa: S608
                    "ON CONFLICT(key) DO UPDATE SET state = excluded.state",
                    (self.key, json.dumps([int(value) for value in new_state])),
                )
                self.conn.commit()
            return decision

    def read(self, algorithm: Any, rates: list[Rate]) -> tuple:
        with self.lock:
            return self._load(algorithm, rates)

    def reset(self) -> None:
        with self.lock:
            self.conn.execute(f"DELETE FROM {self.TABLE} WHERE key = ?", (self.key,))  # noqa: S608
            self.conn.commit()


class SQLiteStorage:
    """Buckets in one SQLite file shared by the processes of one machine."""

    def __init__(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(f"{path}.lock")
        with self.lock:
            self.conn = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {SQLiteStateStore.TABLE} "
                "(key TEXT PRIMARY KEY, state TEXT NOT NULL)"
            )
            self.conn.commit()

    @staticmethod
    def table_name(name: str) -> str:
        """A safe, unique table name for a bucket key like ``hubspot:12345``."""
        readable = re.sub(r"[^A-Za-z0-9_]", "_", name)[:40]
        return f"rl_{readable}_{hashlib.sha256(name.encode()).hexdigest()[:10]}"

    def bucket(self, name: str, rates: list[Rate]) -> AbstractBucket:
        key = bucket_key(name, rates)
        if not _uses_log(rates):
            return StateBucket(rates, GCRA(), SQLiteStateStore(self.conn, self.lock, key))
        table = self.table_name(key)
        with self.lock:
            self.conn.execute(Queries.CREATE_BUCKET_TABLE.format(table=table))
            self.conn.execute(
                Queries.CREATE_INDEX_ON_TIMESTAMP.format(index_name=f"{table}_ts", table_name=table)
            )
            self.conn.commit()
        return SQLiteBucket(rates, self.conn, table, lock=self.lock)

    def bucket_lock(self) -> _Lock:
        return self.lock  # one file lock for every bucket: they share one connection


class RedisServerClock(AbstractClock):
    """Milliseconds from the Redis server, the one clock every machine shares."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def now(self) -> int:
        seconds, microseconds = self.redis.time()
        return int(seconds) * 1000 + int(microseconds) // 1000


#: pyrate-limiter's check-and-insert, counting every entry since the window's start rather than only
#: those up to this caller's own timestamp. The timestamp is read from the server before the script
#: runs, so another process may insert a later one in between; counting up to our own time missed
#: it and let one call too many through (two processes on one budget, under load).
PUT_ITEM = LuaScript.PUT_ITEM.replace(
    "redis.call('ZCOUNT', bucket, window_start, now)", "redis.call('ZCOUNT', bucket, window_start, '+inf')"
)
assert PUT_ITEM != LuaScript.PUT_ITEM, "pyrate-limiter's script changed: recheck the window count"


class _RedisLogBucket(RedisBucket):
    """pyrate-limiter's sliding-window log in Redis, on the server clock, surviving a script flush.

    Each trim also sets the key to expire: every process using the bucket trims it at least every
    ``LEAK_EVERY`` seconds, so a key nobody trimmed for its longest window plus two of those
    holds nothing still counted, and a bucket left behind by a changed budget goes away.
    """

    @classmethod
    def init(cls, rates: list[Rate], redis: Any, bucket_key: str, algorithm: Any = None) -> _RedisLogBucket:
        return cls(rates, redis, bucket_key, redis.script_load(PUT_ITEM), algorithm)

    def now(self) -> int:
        return RedisServerClock(self.redis).now()

    def leak(self, current_timestamp: int | None = None) -> Any:
        removed = super().leak(current_timestamp)
        longest_window_ms = max(rate.interval for rate in self.rates)
        self.redis.pexpire(self.bucket_key, longest_window_ms + int(2 * LEAK_EVERY * 1000))
        return removed

    def put(self, item: RateItem) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return super().put(item)
        except NoScriptError:  # Redis restarted: load the script again
            self.script_hash = self.redis.script_load(PUT_ITEM)
            return super().put(item)


class RedisStorage:
    """Buckets in Redis, shared by every machine."""

    PREFIX = "crm:ratelimit:"

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)

    def bucket(self, name: str, rates: list[Rate]) -> AbstractBucket:
        from pyrate_limiter import RedisStateStore

        key = self.PREFIX + bucket_key(name, rates)
        if not _uses_log(rates):
            return StateBucket(
                rates, GCRA(), RedisStateStore(self.redis, key), clock=RedisServerClock(self.redis)
            )
        return _RedisLogBucket.init(rates, self.redis, key)

    def bucket_lock(self) -> _Lock:
        # The check-and-take is atomic in Redis; this only keeps the bucket object's own
        # last-wait bookkeeping consistent between threads.
        return threading.RLock()


_storages: dict[tuple[int, str], _Storage] = {}
_storages_lock = threading.Lock()


def open_storage(url: str) -> _Storage:
    """The storage for ``url`` in this process (a fork gets its own connection and lock)."""
    key = (os.getpid(), url)
    with _storages_lock:
        storage = _storages.get(key)
        if storage is None:
            if url.startswith("sqlite:///"):
                storage = SQLiteStorage(url.removeprefix("sqlite:///"))
            elif url.startswith(("redis://", "rediss://", "unix://")):
                storage = RedisStorage(url)
            else:
                raise ImproperlyConfigured(
                    f"Unsupported RATE_LIMIT_STORAGE_URL scheme: {url.split(':', 1)[0]}"
                )
            _storages[key] = storage
        return storage


def _storage_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover
        return errors
    return (*errors, RedisError)


@dataclass(frozen=True)
class Admission:
    """A granted slot: when the limiter counted it (its clock, ms) and how long the caller queued."""

    timestamp_ms: int
    waited: float


@dataclass
class _BucketEntry:
    storage: _Storage
    bucket: AbstractBucket
    lock: _Lock
    signature: tuple[tuple[int, int], ...]
    last_leak: float = 0.0


class SharedRateLimiter:
    """``acquire(budget, account, weight)`` before each provider call.

    ``budget`` names a budget (``"hubspot"``, ``"hubspot:search"``: crm_integrations/core/http/budgets.py);
    the bucket is per account, e.g. ``hubspot:12345``.
    """

    def __init__(
        self,
        storage_url: str | None = None,
        budgets: Mapping[str, Budget] | None = None,
        *,
        max_inline_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if storage_url is None or budgets is None or max_inline_wait is None:
            from django.conf import settings

            storage_url = storage_url or settings.CRM_HTTP["RATE_LIMIT_STORAGE_URL"]
            budgets = budgets if budgets is not None else rate_budgets()
            if max_inline_wait is None:
                max_inline_wait = float(settings.CRM_HTTP["MAX_INLINE_WAIT"])
        self.storage_url = storage_url
        self.budgets = budgets
        self.max_inline_wait = max_inline_wait
        self._sleep = sleep
        self._buckets: dict[str, _BucketEntry] = {}

    def rates(self, budget: str) -> list[Rate]:
        if budget not in self.budgets:
            raise ImproperlyConfigured(f"No rate budget {budget!r} (from a provider or CRM_RATE_LIMITS)")
        return rates_from_budget(self.budgets[budget])

    def _entry(self, storage: _Storage, budget: str, name: str) -> _BucketEntry:
        rates = self.rates(budget)
        signature = tuple((rate.limit, rate.interval) for rate in rates)
        entry = self._buckets.get(name)
        # A new storage means a forked process: never reuse the parent's connection or lock.
        if entry is None or entry.storage is not storage or entry.signature != signature:
            entry = _BucketEntry(storage, storage.bucket(name, rates), storage.bucket_lock(), signature)
            self._buckets[name] = entry
        return entry

    def acquire(
        self, budget: str, account: str, weight: int = 1, *, max_wait: float | None = None
    ) -> Admission:
        """Block until ``weight`` units of ``budget`` are free for ``account``, then take them.

        Raises ``RateLimited`` (nothing taken) when the wait would push the time queued past
        ``max_wait`` (default ``max_inline_wait``), and ``InvalidRequest`` when ``weight`` can
        never fit in the budget.
        """
        if weight < 0:
            raise ValueError("weight must not be negative")
        if weight == 0:
            return Admission(timestamp_ms=0, waited=0.0)
        limit = self.max_inline_wait if max_wait is None else max_wait
        name = f"{budget}:{account}"
        waited = 0.0
        try:
            storage = open_storage(self.storage_url)
            entry = self._entry(storage, budget, name)
            bucket = entry.bucket
            while True:
                with entry.lock:
                    # Unique per admission: the Redis log is a sorted set whose members are
                    # "<item name><n>", so a repeated name would overwrite earlier entries.
                    item = RateItem(f"{name}:{uuid.uuid4().hex}", bucket.now(), weight)
                    if bucket.put(item):
                        self._leak_now_and_then(entry, item.timestamp)
                        return Admission(timestamp_ms=item.timestamp, waited=waited)
                    wait_ms = bucket.waiting(item)
                if wait_ms < 0:
                    raise InvalidRequest(
                        f"{name}: a call of weight {weight} can never fit the budget {self.budgets[budget]}",
                        code="weight_exceeds_budget",
                    )
                wait = wait_ms / 1000 + WAIT_BUFFER
                if waited + wait > limit:
                    raise RateLimited(
                        f"{name}: rate budget spent, next slot in {wait:.2f}s",
                        retry_after=wait,
                        code="local_rate_limit",
                    )
                self._sleep(wait)
                waited += wait
        except _storage_errors() as exc:
            raise RateLimited(
                f"{name}: rate limiter storage unavailable ({type(exc).__name__})",
                retry_after=limit or 1.0,
                code="rate_limiter_unavailable",
            ) from exc

    @staticmethod
    def _leak_now_and_then(entry: _BucketEntry, now_ms: int) -> None:
        """Trim entries older than every window (called under the bucket lock)."""
        now = time.monotonic()
        if now - entry.last_leak >= LEAK_EVERY:
            entry.last_leak = now
            entry.bucket.leak(now_ms)
