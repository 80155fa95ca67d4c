"""``manage.py benchmark_contract_creation``: deals reach a stage in a HubSpot sandbox, its workflow
action POSTs them (signed v2) to the app served by gunicorn, Celery makes the contracts; prints
webhook received -> contract created (and -> files stored) p50/p95. The work is in
:mod:`devtools.benchmarks.contracts.creation`; a deal left without its contract exits 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.contracts.creation import CreationOptions, run_benchmark
from devtools.benchmarks.contracts.report import report_lines
from devtools.benchmarks.harness.command import StackCommand


class Command(StackCommand):
    help = "Time HubSpot workflow webhooks to contracts (p50/p95) against the HubSpot sandbox."
    options_class = CreationOptions
    at_least_one = ("deals", "web_workers", "workers")
    not_negative = ("interval",)
    refusal = "Use at least 1 deal, web worker and Celery worker, and an interval >= 0."
    default_timeout = 300

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--deals", type=int, default=50, help="Deals moved into the stage (50).")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between two deals (1.0; 0: all at once)."
        )
        parser.add_argument("--no-files", action="store_true", help="Deals without an attached file.")

    def computed(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {"with_files": not options["no_files"]}

    def run(self, settings: CreationOptions) -> None:
        self.stdout.write(f"Moving {settings.deals} HubSpot sandbox deals into the workflow's stage ...")
        report = run_benchmark(settings)
        self.write_lines(report_lines(report))
        if report.lost:
            raise CommandError(f"{report.lost} deal(s) never became a contract.")
