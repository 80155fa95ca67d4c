"""The embedded SQLite backend waits for another process's write lock in short polls
(config/db/sqlite3/base.py): a statement blocked by another writer goes through once the lock is
free, gives up after the ``timeout`` option, and ``executemany`` outside a transaction is one.

Each test opens its own database file beside the suite's, through Django's connection handler
(the backend as the settings configure it), and a plain ``sqlite3`` connection as the other writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import IntegrityError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler

from config.db.sqlite3.base import PatientCursorWrapper, waiting_for_lock

ALIAS = "writers"


@pytest.fixture
def database(tmp_path: Path, django_db_blocker) -> Iterator[tuple[BaseDatabaseWrapper, Path]]:
    """A connection of the backend under ``ALIAS`` (so ``transaction.atomic`` finds it) to a new file."""
    path = tmp_path / "writers.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE item (name TEXT UNIQUE)")
    setup.close()
    options = {"transaction_mode": "IMMEDIATE", "timeout": 5}
    settings = {"ENGINE": "config.db.sqlite3", "NAME": str(path), "OPTIONS": options}
    handler = ConnectionHandler({"default": settings, ALIAS: settings})  # it needs a "default"
    connection = handler[ALIAS]
    connections[ALIAS] = connection
    with django_db_blocker.unblock():
        yield connection, path
        connection.close()
    del connections[ALIAS]


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's writer, in the middle of a transaction."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO item VALUES ('other')")
    return other


def _release_later(other: sqlite3.Connection, released: threading.Event) -> threading.Timer:
    """The other writer commits in 0.2 s, after setting ``released``."""

    def release() -> None:
        released.set()
        other.execute("COMMIT")

    timer = threading.Timer(0.2, release)
    timer.start()
    return timer


def _names(path: Path) -> list[str]:
    reader = sqlite3.connect(path)
    try:
        return sorted(row[0] for row in reader.execute("SELECT name FROM item"))
    finally:
        reader.close()


def test_sqlite_itself_does_not_wait_the_cursor_does(database):
    connection, _ = database
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone() == (0,)
        assert isinstance(cursor.cursor, PatientCursorWrapper)
        assert cursor.cursor.lock_timeout == 5.0


def test_a_write_outside_a_transaction_goes_through_once_the_other_writer_commits(database):
    connection, path = database
    other, released = _hold_write_lock(path), threading.Event()
    timer = _release_later(other, released)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO item VALUES (%s)", ["ours"])
    assert released.is_set()  # it waited for the other writer instead of failing
    timer.join()
    assert _names(path) == ["other", "ours"]


def test_an_atomic_block_waits_for_the_lock_to_begin(database):
    connection, path = database
    other, released = _hold_write_lock(path), threading.Event()
    timer = _release_later(other, released)
    with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
        assert released.is_set()  # BEGIN IMMEDIATE waited
        cursor.execute("INSERT INTO item VALUES (%s)", ["ours"])
    timer.join()
    assert _names(path) == ["other", "ours"]


def test_it_gives_up_after_the_timeout_option(database):
    connection, path = database
    other = _hold_write_lock(path)
    with connection.cursor() as cursor:
        cursor.cursor.lock_timeout = 0.05
        with pytest.raises(OperationalError, match="database is locked"):
            cursor.execute("INSERT INTO item VALUES (%s)", ["ours"])
    other.execute("COMMIT")
    assert _names(path) == ["other"]


def test_executemany_outside_a_transaction_writes_all_rows_or_none(database):
    connection, path = database
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO item VALUES (%s)", ["taken"])
        with pytest.raises(IntegrityError):
            cursor.executemany("INSERT INTO item VALUES (%s)", [["a"], ["b"], ["taken"]])
    assert _names(path) == ["taken"]  # "a" and "b" were rolled back with the failing row
    assert not connection.connection.in_transaction


def test_executemany_outside_a_transaction_waits_for_the_lock(database):
    connection, path = database
    other, released = _hold_write_lock(path), threading.Event()
    timer = _release_later(other, released)
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO item VALUES (%s)", iter([["a"], ["b"]]))
    assert released.is_set()
    timer.join()
    assert _names(path) == ["a", "b", "other"]


def _failure(code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database is locked" if code & 0xFF == sqlite3.SQLITE_BUSY else "no")
    error.sqlite_errorcode = code
    return error


def test_every_busy_code_is_waited_out_and_any_other_error_raised_at_once():
    outcomes = [_failure(sqlite3.SQLITE_BUSY_SNAPSHOT), _failure(sqlite3.SQLITE_BUSY), "done"]

    def run() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert waiting_for_lock(run, timeout=5) == "done" and not outcomes
    calls = []

    def broken() -> None:
        calls.append(1)
        raise _failure(sqlite3.SQLITE_ERROR)

    with pytest.raises(sqlite3.OperationalError, match="no"):
        waiting_for_lock(broken, timeout=5)
    assert calls == [1]
