"""``manage.py benchmark_contract_intake``: deals reach a stage in a HubSpot sandbox, its workflow
action POSTs them (signed v2) to the app served by gunicorn, Celery makes the contracts; prints
webhook received -> contract created (and -> files stored) p50/p95. The work is in
:mod:`contracts.benchmarks.intake`; a deal left without its contract exits 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contracts.benchmarks.intake import IntakeOptions, run_benchmark
from contracts.benchmarks.report import report_lines


class Command(BaseCommand):
    help = "Time HubSpot workflow webhooks to contracts (p50/p95) against the HubSpot sandbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deals", type=int, default=50, help="Deals moved into the stage (50).")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between two deals (1.0; 0: all at once)."
        )
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2, as make run).")
        parser.add_argument(
            "--workers", type=int, default=2, help="Celery worker processes (2, as make run)."
        )
        parser.add_argument("--no-files", action="store_true", help="Deals without an attached file.")
        parser.add_argument(
            "--broker-url", help="A broker for the app (e.g. redis://...); default: filesystem."
        )
        parser.add_argument("--timeout", type=float, default=300, help="Most seconds to wait (300).")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark organization afterwards.")

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["deals"], options["web_workers"], options["workers"]) < 1 or options["interval"] < 0:
            raise CommandError("Use at least 1 deal, web worker and Celery worker, and an interval >= 0.")
        settings = IntakeOptions(
            deals=options["deals"],
            interval=options["interval"],
            web_workers=options["web_workers"],
            workers=options["workers"],
            with_files=not options["no_files"],
            broker_url=options["broker_url"],
            keep=options["keep"],
            timeout=options["timeout"],
        )
        self.stdout.write(f"Moving {settings.deals} HubSpot sandbox deals into the workflow's stage ...")
        report = run_benchmark(settings)
        for line in report_lines(report):
            self.stdout.write(line)
        if report.lost:
            raise CommandError(f"{report.lost} deal(s) never became a contract.")
