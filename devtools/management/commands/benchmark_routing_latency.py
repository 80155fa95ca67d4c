"""``manage.py benchmark_routing_latency``: a burst of new HubSpot leads through the real pipeline
(sandbox webhooks -> gunicorn -> Celery -> routing -> batched owner write-back), timed from creation
at the CRM to the owner written there, with the HubSpot API calls per routed lead.

Prints the figures against the goals (PASS/MISS): a missed goal is a figure, not an error; a lead
that never got its owner exits 1. The work is in :mod:`devtools.benchmarks.routing.latency`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.harness.command import StackCommand
from devtools.benchmarks.routing.latency import LatencyOptions, run_benchmark
from devtools.benchmarks.routing.latency_report import report_lines


class Command(StackCommand):
    help = (
        "Create N new leads at once in a HubSpot sandbox and time them to their owner written back "
        "through webhooks, gunicorn and Celery workers; count the API calls per routed lead."
    )
    options_class = LatencyOptions
    at_least_one = ("leads", "web_workers", "workers", "senders")
    refusal = "Use at least 1 lead, web worker, Celery worker and sender."
    default_timeout = 900
    timeout_help = "Most seconds to wait for the owners"
    keep_help = "Keep the fresh database file / the organization."
    configured_db = True

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=5000, help="New leads in the burst (5000).")
        parser.add_argument(
            "--senders", type=int, default=10, help="The sandbox's concurrent webhook POSTs (10)."
        )
        parser.add_argument(
            "--writeback-window",
            type=float,
            help="ROUTING_WRITEBACK_WINDOW for the app (default: its setting).",
        )
        parser.add_argument(
            "--all-subscriptions",
            action="store_true",
            help="Keep every webhook subscription the sandbox has by default (contacts, companies, "
            "deals; as make run) instead of the lead events the intake takes in.",
        )
        parser.add_argument(
            "--api-limit",
            type=int,
            default=110,
            help="The sandbox portal's API calls per 10 s (110, HubSpot's for public apps; the app keeps "
            "a tenth below it). A higher one shows what the pipeline does when HubSpot is not the bound.",
        )
        parser.add_argument(
            "--rate",
            type=float,
            default=0.0,
            help="Leads a second, created steadily for --duration seconds, instead of --leads at once.",
        )
        parser.add_argument("--duration", type=float, default=15.0, help="Seconds of --rate (15).")
        parser.add_argument(
            "--api-latency",
            type=float,
            default=0.0,
            help="Seconds each HubSpot API call takes to be answered, as over the internet (0: the "
            "sandbox's own milliseconds). HubSpot publishes no figure: pass one measured from your network.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def check(self, options: Mapping[str, Any]) -> None:
        if options["api_limit"] < 2:
            raise CommandError("--api-limit must allow at least 2 calls per 10 s.")
        if options["rate"] < 0 or (options["rate"] > 0 and options["rate"] * options["duration"] < 1):
            raise CommandError("--rate and --duration must make at least one lead.")
        if not 0 <= options["api_latency"] <= 5:
            raise CommandError("--api-latency must be between 0 and 5 seconds.")

    def computed(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {"lead_events_only": not options["all_subscriptions"], "progress": not options["no_progress"]}

    def run(self, settings: LatencyOptions) -> None:
        pace = f" at {settings.rate:g} a second" if settings.rate > 0 else ""
        self.stdout.write(
            f"Creating {settings.total_leads:,} new leads{pace} in a HubSpot sandbox and routing them ..."
        )
        report = run_benchmark(settings)
        self.write_lines(report_lines(report))
        if report.lost:
            raise CommandError(f"{report.lost} lead(s) never got their owner at the CRM.")
