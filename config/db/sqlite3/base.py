"""Django's SQLite backend, but a statement that finds the write lock taken retries every
millisecond instead of in SQLite's growing sleeps.

The embedded defaults (``config/settings/base.py``) run the web, the worker processes and beat on
one SQLite file, and SQLite lets one of them write at a time. Its own busy handler, which Python's
``sqlite3`` ``timeout`` turns on, sleeps 1, 2, 5, 10 … ms between tries and then 100 ms each time,
so a waiter sees the lock free only if it happens to be free at one of those moments. While an
organization's burst keeps two processes writing in back-to-back transactions, another organization's
one-lead round lost that race for seconds: in a traced fairness run (docs/benchmarks.md, "Ninth
pass") one of its API call records, whose HubSpot call took 28 ms, waited 2.0 s to be stored. Here
SQLite does not wait (``busy_timeout`` 0) and the cursor tries again every ``POLL_SECONDS`` for as
long as the ``timeout`` option says, so a waiter takes the first pause between another's transactions.

Only a statement run outside a transaction is retried: that is where SQLite takes the write lock
(``BEGIN IMMEDIATE``, the ``transaction_mode`` the settings choose, or a write in autocommit). A
statement that failed for the lock did nothing, so running it again is safe. ``executemany`` outside
a transaction runs in one of its own, so that a retry never repeats rows already written.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db.backends.sqlite3 import base

#: How often a waiting statement tries the lock again: a pause between two transactions of another
#: process is rarely shorter than this, and a try costs a few microseconds.
POLL_SECONDS = 0.001
#: SQLite's own default wait when the settings give no ``timeout``, seconds.
DEFAULT_TIMEOUT = 5.0

Result = TypeVar("Result")


def waiting_for_lock(run: Callable[[], Result], timeout: float) -> Result:
    """``run()``, tried again every ``POLL_SECONDS`` while SQLite answers that the database is
    busy (any ``SQLITE_BUSY`` code: in WAL mode a write outside a transaction whose snapshot another
    writer made stale fails with ``SQLITE_BUSY_SNAPSHOT``, and SQLite's own handler never retried
    that), until ``timeout`` seconds have passed (then its last error is raised)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return run()
        except sqlite3.OperationalError as error:
            busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # also BUSY_SNAPSHOT, …
            if not busy or time.monotonic() >= deadline:
                raise
        time.sleep(POLL_SECONDS)


class PatientCursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, retrying what failed for the write lock outside a transaction."""

    lock_timeout = DEFAULT_TIMEOUT

    def execute(self, query: str, params: Any = None) -> Any:
        run = super().execute
        if self.connection.in_transaction:
            return run(query, params)
        return waiting_for_lock(lambda: run(query, params), self.lock_timeout)

    def executemany(self, query: str, param_list: Iterable[Any]) -> Any:
        run = super().executemany
        if self.connection.in_transaction:
            return run(query, param_list)
        rows = list(param_list)
        self.execute("BEGIN IMMEDIATE")
        try:
            result = run(query, rows)
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")
        return result


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        self.lock_timeout = float(params.get("timeout", DEFAULT_TIMEOUT))
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        connection = super().get_new_connection(conn_params)  # the init commands still wait in SQLite
        connection.execute("PRAGMA busy_timeout = 0")  # from here on, the cursor waits (above)
        return connection

    def create_cursor(self, name: str | None = None) -> PatientCursorWrapper:
        cursor = self.connection.cursor(factory=PatientCursorWrapper)
        cursor.lock_timeout = self.lock_timeout
        return cursor
