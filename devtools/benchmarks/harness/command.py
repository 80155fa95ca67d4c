"""What the benchmark and drill commands (devtools/management/commands/) share: the options of the
stack they start (gunicorn and Celery workers, broker, database, timeout, keep) and the report printing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

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


class StackCommand(BenchmarkCommand):
    """A benchmark or drill that starts its own stack (gunicorn and Celery workers, a broker, a database).

    It declares once which stack options it takes, the counts that must be at least 1 and the values that
    must not be negative (else ``refusal``), and its options dataclass. ``add_options`` adds its own
    options, ``check`` refuses other bad values, ``computed`` gives the fields no option of the same name
    gives, and ``run`` does the work with the dataclass.
    """

    #: ``check`` is the options' check here, not Django's system checks (``BaseCommand.check``),
    #: which ``execute`` would call with other arguments: a benchmark needs none of them.
    requires_system_checks: ClassVar[list[str]] = []  # type: ignore[misc]
    options_class: ClassVar[type]
    at_least_one: ClassVar[tuple[str, ...]]
    not_negative: ClassVar[tuple[str, ...]] = ()
    refusal: ClassVar[str]
    default_timeout: ClassVar[float]
    timeout_help: ClassVar[str] = "Most seconds to wait"
    keep_help: ClassVar[str] = "Keep the benchmark organization afterwards."
    web: ClassVar[bool] = True  # --web-workers (gunicorn)
    broker: ClassVar[bool] = True  # --broker-url
    configured_db: ClassVar[bool] = False  # --configured-db, which sets ``fresh_db``

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_options(parser)
        add_worker_arguments(parser, web=self.web)
        add_run_arguments(
            parser,
            timeout=self.default_timeout,
            timeout_help=self.timeout_help,
            keep_help=self.keep_help,
            broker=self.broker,
        )
        if self.configured_db:
            add_configured_db_argument(parser)

    def add_options(self, parser: CommandParser) -> None:
        """The command's own options, before the stack's."""

    def check(self, options: Mapping[str, Any]) -> None:
        """Refuse (``CommandError``) what ``at_least_one`` and ``not_negative`` do not cover."""

    def computed(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def run(self, settings: Any) -> None:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        require_at_least_one(options, self.at_least_one, self.refusal)
        if any(options[name] < 0 for name in self.not_negative):
            raise CommandError(self.refusal)
        self.check(options)
        computed = self.computed(options)
        if self.configured_db:
            computed.setdefault("fresh_db", not options["configured_db"])
        self.run(options_for(self.options_class, options, **computed))
