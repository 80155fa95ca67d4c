"""``manage.py benchmark_contract_status``: contract status changes written to their HubSpot sandbox
deals by real Celery worker processes; prints status change -> deal updated p50/p95. The work is in
:mod:`devtools.benchmarks.contracts.status`; a deal that does not end on its contract's status exits 1.
"""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.contracts.report import status_report_lines
from devtools.benchmarks.contracts.status import StatusOptions, run_benchmark
from devtools.benchmarks.harness.command import StackCommand


class Command(StackCommand):
    help = "Time contract status changes to their HubSpot deal (p50/p95) against the HubSpot sandbox."
    options_class = StatusOptions
    at_least_one = ("changes", "contracts", "workers")
    not_negative = ("interval",)
    refusal = "Use at least 1 change, contract and Celery worker, and an interval >= 0."
    default_timeout = 120
    web = False

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--changes", type=int, default=50, help="Status changes made (50).")
        parser.add_argument("--contracts", type=int, default=10, help="Contracts they go round (10).")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between two changes (0.5; 0: all at once)."
        )

    def run(self, settings: StatusOptions) -> None:
        self.stdout.write(f"Changing {settings.changes} contract statuses against the HubSpot sandbox ...")
        report = run_benchmark(settings)
        self.write_lines(status_report_lines(report))
        if report.deals_final < report.contracts:
            raise CommandError(
                f"{report.contracts - report.deals_final} deal(s) did not end on their contract's status."
            )
