"""``manage.py benchmark_monday_latency``: new items on a monday sandbox's lead board through the real
pipeline (JWT-signed webhooks -> gunicorn -> Celery -> routing -> the person column written), timed
from creation to the person column written, for single items and a burst, with the GraphQL calls
and complexity points per item.

Prints the figures against the goals (PASS/MISS): a missed goal is a figure, not an error; an item
that never got its owner exits 1. The work is in :mod:`devtools.benchmarks.routing.monday_latency`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.harness.command import StackCommand
from devtools.benchmarks.routing.monday_latency import MondayLatencyOptions, run_benchmark
from devtools.benchmarks.routing.monday_latency_report import report_lines


class Command(StackCommand):
    help = (
        "Create monday items one at a time and in a burst on a monday sandbox and time them to their person "
        "column written through webhooks, gunicorn and Celery; count calls and complexity per item."
    )
    options_class = MondayLatencyOptions
    at_least_one = ("singles", "web_workers", "workers", "senders")
    not_negative = ("burst",)
    refusal = "Use at least 1 single item, web worker, Celery worker and creator, and no negative burst."
    default_timeout = 900
    timeout_help = "Most seconds to wait for the person columns"
    keep_help = "Keep the fresh database file / the organization."
    configured_db = True

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--singles", type=int, default=20, help="Items created one at a time (20).")
        parser.add_argument("--burst", type=int, default=1000, help="Items created at once (1000; 0: none).")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between two single items (0.5)."
        )
        parser.add_argument("--senders", type=int, default=10, help="Concurrent creators for the burst (10).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def computed(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {"progress": not options["no_progress"]}

    def run(self, settings: Any) -> None:
        report = run_benchmark(settings)
        self.write_lines(report_lines(report))
        if report.lost:
            raise CommandError(f"{report.lost} item(s) never got their person column written.")
