"""``manage.py benchmark_salesforce_latency``: new leads in a Salesforce sandbox through the real pipeline
(Outbound Messages -> gunicorn -> Celery, and polling from a fast beat -> routing -> the owner written
with sObject Collections), timed from creation to the owner written, for single leads and a burst, with
the REST calls per routed lead.

Prints the figures against the goals (PASS/MISS): a missed goal is a figure, not an error; a lead that
never got its owner exits 1. The work is in :mod:`devtools.benchmarks.routing.salesforce_latency`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.harness.command import StackCommand
from devtools.benchmarks.routing.salesforce_latency import SalesforceLatencyOptions, run_benchmark
from devtools.benchmarks.routing.salesforce_latency_report import POLL, PUSH, report_lines

MODES = {"both": (PUSH, POLL), PUSH: (PUSH,), POLL: (POLL,)}


class Command(StackCommand):
    help = (
        "Create Salesforce leads one at a time and in a burst in a Salesforce sandbox and time them to their "
        "owner written, by Outbound Messages and by polling, through gunicorn and Celery; count REST calls "
        "per routed lead."
    )
    options_class = SalesforceLatencyOptions
    at_least_one = ("singles", "web_workers", "workers")
    not_negative = ("burst",)
    refusal = "Use at least 1 single lead, web worker and Celery worker, and no negative burst."
    default_timeout = 900
    timeout_help = "Most seconds to wait for the owners"
    keep_help = "Keep the fresh database file / the organization."
    configured_db = True

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--singles", type=int, default=20, help="Leads created one at a time (20).")
        parser.add_argument("--burst", type=int, default=1000, help="Leads created at once (1000; 0: none).")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between two single leads (0.5)."
        )
        parser.add_argument(
            "--poll-interval", type=float, default=5.0, help="Seconds between two polls when polling (5)."
        )
        parser.add_argument(
            "--mode", choices=sorted(MODES), default="both", help="Outbound Messages, polling or both (both)."
        )
        parser.add_argument(
            "--lead-events",
            choices=("create", "create_and_edit"),
            default="create",
            help="Lead changes the sandbox sends Outbound Messages for (create).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def check(self, options: Mapping[str, Any]) -> None:
        if options["poll_interval"] <= 0:
            raise CommandError("Use a poll interval above 0 seconds.")

    def computed(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {"progress": not options["no_progress"], "modes": MODES[options["mode"]]}

    def run(self, settings: Any) -> None:
        report = run_benchmark(settings)
        self.write_lines(report_lines(report))
        if report.lost:
            raise CommandError(f"{report.lost} lead(s) never got their owner written.")
