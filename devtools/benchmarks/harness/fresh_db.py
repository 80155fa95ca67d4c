"""A new, migrated SQLite database file for one benchmark run, in place of the configured one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def fresh_sqlite_database(folder: Path) -> Iterator[Path]:
    """Point this process's default database at a new SQLite file in ``folder`` and migrate it;
    the configured database is back afterwards. App processes started meanwhile take their
    ``DATABASE_URL`` from the connection (``web_server.database_url``), so they use it too."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite":
        raise CommandError("A fresh database is a SQLite file: with another backend, use --configured-db.")
    path = folder / "benchmark.sqlite3"
    previous = db.settings_dict["NAME"]
    db.close()
    # (``settings_dict`` is the ``settings.DATABASES`` entry itself: both see the new name.)
    db.settings_dict["NAME"] = str(path)
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield path
    finally:
        db.close()
        db.settings_dict["NAME"] = previous


@contextmanager
def benchmark_database(folder: Path, *, fresh: bool, keep: bool) -> Iterator[str]:
    """A fresh SQLite file in ``folder`` (``fresh``) or the configured database, for one benchmark
    run (the routing latency benchmarks, devtools/benchmarks/routing/); yields what it is, for the
    report."""
    if not fresh:
        yield f"configured database {connections[DEFAULT_DB_ALIAS].settings_dict['NAME']}"
        return
    with fresh_sqlite_database(folder) as path:
        yield f"fresh SQLite file {path}" + (" (kept)" if keep else "")
