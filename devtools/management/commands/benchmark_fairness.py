"""``manage.py benchmark_fairness``: two organizations on one app, one's burst beside the other's single
leads: does B wait for A? Prints B's created -> owner written alone and during A's burst, and A's
drain alone and with B, against the goals (PASS/MISS); a lead never owned exits 1. The work is in
:mod:`devtools.benchmarks.routing.fairness`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.harness.command import StackCommand
from devtools.benchmarks.routing.fairness import FairnessOptions, run_benchmark
from devtools.benchmarks.routing.fairness_report import report_lines


class Command(StackCommand):
    help = (
        "Organization A creates a burst of new leads while organization B creates one a second, each in "
        "its own HubSpot sandbox portal, through one app: B's latency alone and during A's burst, and "
        "A's drain alone and with B."
    )
    options_class = FairnessOptions
    at_least_one = ("burst", "alone_leads", "pairs", "web_workers", "workers", "senders")
    refusal = "Use at least 1 lead in each phase, pair, web worker, Celery worker and sender."
    default_timeout = 600
    timeout_help = "Most seconds to wait for a phase's owners"
    keep_help = "Keep the fresh database file / the two organizations."
    configured_db = True

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst", type=int, default=3000, help="Organization A's new leads at once (3000)."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Organization B: one new lead every this many s (1)."
        )
        parser.add_argument(
            "--alone-leads", type=int, default=10, help="Organization B's leads in the phase without A (10)."
        )
        parser.add_argument(
            "--pairs",
            type=int,
            default=3,
            help="A's burst alone, then with B, this many times; B's leads pooled for its p95 (3).",
        )
        parser.add_argument("--senders", type=int, default=10, help="The sandbox's concurrent webhook POSTs.")
        parser.add_argument(
            "--api-limit", type=int, default=110, help="Each portal's API calls per 10 s (110, HubSpot's)."
        )

    def check(self, options: Mapping[str, Any]) -> None:
        if options["interval"] <= 0 or options["api_limit"] < 2:
            raise CommandError("--interval must be above 0 and --api-limit at least 2.")

    def run(self, settings: FairnessOptions) -> None:
        self.stdout.write(
            f"Organization A: {settings.burst:,} new leads at once, {settings.pairs} time(s) alone and "
            f"as many with organization B beside it, one new lead every {settings.interval:g} s ..."
        )
        report = run_benchmark(settings)
        self.write_lines(report_lines(report))
        if report.lost:
            raise CommandError(f"{report.lost} lead(s) never got their owner at the CRM.")
