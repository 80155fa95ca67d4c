"""What the benchmark and drill commands (devtools/management/commands/) share: the options of the
stack they start (gunicorn and Celery workers, broker, database, timeout, keep) and the report printing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser


def add_worker_arguments(parser: CommandParser, *, web: bool = True) -> None:
    """``--web-workers`` (gunicorn) and ``--workers`` (Celery), two of each as the Procfile starts."""
    if web:
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2, as make run).")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (2, as make run).")


def add_run_arguments(
    parser: CommandParser,
    *,
    timeout: float,
    timeout_help: str = "Most seconds to wait",
    keep_help: str = "Keep the benchmark organization afterwards.",
    broker: bool = True,
) -> None:
    """``--broker-url`` (unless ``broker`` is false), ``--timeout`` and ``--keep``."""
    if broker:
        parser.add_argument(
            "--broker-url", help="A broker for the app (e.g. redis://127.0.0.1:6379/15); default: filesystem."
        )
    parser.add_argument("--timeout", type=float, default=timeout, help=f"{timeout_help} ({timeout:g}).")
    if keep_help:
        parser.add_argument("--keep", action="store_true", help=keep_help)


def add_configured_db_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--configured-db",
        action="store_true",
        help="Use the configured database (a dedicated organization) instead of a fresh SQLite file.",
    )


Options = TypeVar("Options")


def options_for(cls: type[Options], options: Mapping[str, Any], **computed: Any) -> Options:
    """The benchmark's options dataclass ``cls`` from a command's ``options``: every field an option of
    the same name gives, then ``computed`` (the fields named or derived otherwise)."""
    given = {field.name: options[field.name] for field in dataclasses.fields(cls) if field.name in options}
    return cls(**{**given, **computed})


def require_at_least_one(options: Mapping[str, Any], names: Iterable[str], message: str) -> None:
    """Refuse a run where any of the options ``names`` is below 1."""
    if min(options[name] for name in names) < 1:
        raise CommandError(message)


class BenchmarkCommand(BaseCommand):
    """A command that prints a report's lines."""

    def write_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.stdout.write(line)
