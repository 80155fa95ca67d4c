"""``manage.py benchmark_contract_intake``: deals reach a stage in a HubSpot sandbox, its workflow
action POSTs them (signed v2) to the app served by gunicorn, Celery makes the contracts; prints
webhook received -> contract created (and -> files stored) p50/p95. The work is in
:mod:`devtools.benchmarks.contracts.intake`; a deal left without its contract exits 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.contracts.intake import IntakeOptions, run_benchmark
from devtools.benchmarks.contracts.report import report_lines
from devtools.benchmarks.harness.command import (
    BenchmarkCommand,
    add_run_arguments,
    add_worker_arguments,
    options_for,
    require_at_least_one,
)

REFUSAL = "Use at least 1 deal, web worker and Celery worker, and an interval >= 0."


class Command(BenchmarkCommand):
    help = "Time HubSpot workflow webhooks to contracts (p50/p95) against the HubSpot sandbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deals", type=int, default=50, help="Deals moved into the stage (50).")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between two deals (1.0; 0: all at once)."
        )
        parser.add_argument("--no-files", action="store_true", help="Deals without an attached file.")
        add_worker_arguments(parser)
        add_run_arguments(parser, timeout=300)

    def handle(self, *args: Any, **options: Any) -> None:
        require_at_least_one(
            options,
            ("deals", "web_workers", "workers"),
            REFUSAL,
        )
        if options["interval"] < 0:
            raise CommandError(REFUSAL)
        settings = options_for(IntakeOptions, options, with_files=not options["no_files"])
        self.stdout.write(f"Moving {settings.deals} HubSpot sandbox deals into the workflow's stage ...")
        report = run_benchmark(settings)
        self.write_lines(report_lines(report))
        if report.lost:
            raise CommandError(f"{report.lost} deal(s) never became a contract.")
