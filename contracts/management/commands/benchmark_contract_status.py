"""``manage.py benchmark_contract_status``: contract status changes written to their HubSpot sandbox
deals by real Celery worker processes; prints status change -> deal updated p50/p95. The work is in
:mod:`contracts.benchmarks.status`; a deal that does not end on its contract's status exits 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contracts.benchmarks.report import status_report_lines
from contracts.benchmarks.status import StatusOptions, run_benchmark


class Command(BaseCommand):
    help = "Time contract status changes to their HubSpot deal (p50/p95) against the HubSpot sandbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--changes", type=int, default=50, help="Status changes made (50).")
        parser.add_argument("--contracts", type=int, default=10, help="Contracts they go round (10).")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between two changes (0.5; 0: all at once)."
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="Celery worker processes (2, as make run)."
        )
        parser.add_argument(
            "--broker-url", help="A broker for the workers (e.g. redis://...); default: filesystem."
        )
        parser.add_argument("--timeout", type=float, default=120, help="Most seconds to wait (120).")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark organization afterwards.")

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["changes"], options["contracts"], options["workers"]) < 1 or options["interval"] < 0:
            raise CommandError("Use at least 1 change, contract and Celery worker, and an interval >= 0.")
        settings = StatusOptions(
            changes=options["changes"],
            contracts=options["contracts"],
            interval=options["interval"],
            workers=options["workers"],
            broker_url=options["broker_url"],
            keep=options["keep"],
            timeout=options["timeout"],
        )
        self.stdout.write(f"Changing {settings.changes} contract statuses against the HubSpot sandbox ...")
        report = run_benchmark(settings)
        for line in status_report_lines(report):
            self.stdout.write(line)
        if report.deals_final < report.contracts:
            raise CommandError(
                f"{report.contracts - report.deals_final} deal(s) did not end on their contract's status."
            )
