"""Independent calls to one CRM made a few at a time: the chunks of one batch read.

An intake round of 1,000 HubSpot leads reads them, their contacts and their companies in about 30
batch calls of 100 (crm_integrations/hubspot/objects.py). One after another, at a CRM's answer time
of a tenth of a second or more, that is seconds before the round's first lead is stored, however
fast we are; made a few at a time, a round waits for each level of the read (leads, contacts,
companies) about once. The calls run on a small pool of threads of this process, at most
``CRM_HTTP_CONCURRENT_READS`` at once (1: one after another). Each carries the caller's context
(its trace span, its flags) and goes through the client's rate limiter, circuit breaker and call
records like any other call, so the budget and the breaker see every one.

Each pool thread keeps a database connection of its own (for its call records), as a worker
process does: count up to ``CRM_HTTP_CONCURRENT_READS`` more per process against PostgreSQL's
``max_connections``.

The calls stay in the calling thread inside a database transaction (a pool thread has a
connection of its own, which would neither see the transaction's rows nor write its call records
in it; tests run inside one), and inside a pool thread (a call that reads in chunks itself must
not wait for the pool it occupies).
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from django.db import close_old_connections, connections, transaction

T = TypeVar("T")

_THREAD_PREFIX = "crm-calls"
_lock = threading.Lock()
_pools: dict[int, tuple[int, ThreadPoolExecutor]] = {}  # size -> (the process that made it, pool)


def call_all(calls: Sequence[Callable[[], T]], *, at_once: int) -> list[T]:
    """The results of ``calls``, in their order, made ``at_once`` at a time.

    The first failure (in the calls' order) is raised once every call already begun has ended;
    calls not begun by then are not made (a failed chunk fails the read, as it did one after
    another, without spending budget on the rest)."""
    if len(calls) < 2 or at_once < 2 or _must_stay_here():
        return [call() for call in calls]
    pool = _pool(at_once)
    futures = [pool.submit(_in_pool_thread, contextvars.copy_context(), call) for call in calls]
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        wait(futures)
        raise


def _must_stay_here() -> bool:
    in_pool = threading.current_thread().name.startswith(_THREAD_PREFIX)
    return in_pool or transaction.get_connection().in_atomic_block


def _in_pool_thread(context: contextvars.Context, call: Callable[[], T]) -> T:
    # As Django does around each request: a connection past CONN_MAX_AGE, or broken, is replaced.
    # A pool thread otherwise keeps its connection, as a worker process does (on PostgreSQL a new
    # one is a server process forked: closing after each call cost a burst 0.6 s of CPU).
    close_old_connections()
    return context.run(call)


def close_pool_connections() -> None:
    """Every pool thread of this process closes its database connections (the test suite, after
    each test: a thread's connection must not outlive the test database it was opened on)."""
    with _lock:
        pools = [(size, pool) for size, (owner, pool) in _pools.items() if owner == os.getpid()]
    for size, pool in pools:
        every_thread = threading.Barrier(size, timeout=10)  # one job per thread: each waits for all
        wait([pool.submit(_close_connections_once_all_wait, every_thread) for _ in range(size)])


def _close_connections_once_all_wait(every_thread: threading.Barrier) -> None:
    every_thread.wait()
    connections.close_all()


def _pool(size: int) -> ThreadPoolExecutor:
    """This process's pool of ``size`` threads (a pool made before a fork has no threads here)."""
    with _lock:
        owner, pool = _pools.get(size, (0, None))
        if pool is None or owner != os.getpid():
            pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=_THREAD_PREFIX)
            _pools[size] = (os.getpid(), pool)
        return pool
