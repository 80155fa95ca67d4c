"""``manage.py benchmark_routing_latency``: a burst of new HubSpot leads through the real pipeline
(sandbox webhooks -> gunicorn -> Celery -> routing -> batched owner write-back), timed from creation
at the CRM to the owner written there, with the HubSpot API calls per routed lead.

Prints the figures against the goals (PASS/MISS): a missed goal is a figure, not an error; a lead
that never got its owner exits 1. The work is in :mod:`routing.benchmarks.latency`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.benchmarks.latency import LatencyOptions, run_benchmark
from routing.benchmarks.latency_report import report_lines


class Command(BaseCommand):
    help = (
        "Create N new leads at once in a HubSpot sandbox and time them to their owner written back "
        "through webhooks, gunicorn and Celery workers; count the API calls per routed lead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=5000, help="New leads in the burst (5000).")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2, as make run).")
        parser.add_argument(
            "--workers", type=int, default=2, help="Celery worker processes (2, as make run)."
        )
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
            "--broker-url", help="A broker for the app (e.g. redis://127.0.0.1:6379/15); default: filesystem."
        )
        parser.add_argument(
            "--api-limit",
            type=int,
            default=110,
            help="The sandbox portal's API calls per 10 s (110, HubSpot's for public apps; the app keeps "
            "a tenth below it). A higher one shows what the pipeline does when HubSpot is not the bound.",
        )
        parser.add_argument(
            "--configured-db",
            action="store_true",
            help="Use the configured database (a dedicated organization) instead of a fresh SQLite file.",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Keep the fresh database file / the organization."
        )
        parser.add_argument(
            "--timeout", type=float, default=900, help="Most seconds to wait for the owners (900)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["leads"], options["web_workers"], options["workers"], options["senders"]) < 1:
            raise CommandError("Use at least 1 lead, web worker, Celery worker and sender.")
        if options["api_limit"] < 2:
            raise CommandError("--api-limit must allow at least 2 calls per 10 s.")
        settings = LatencyOptions(
            leads=options["leads"],
            web_workers=options["web_workers"],
            workers=options["workers"],
            senders=options["senders"],
            writeback_window=options["writeback_window"],
            lead_events_only=not options["all_subscriptions"],
            broker_url=options["broker_url"],
            api_limit=options["api_limit"],
            fresh_db=not options["configured_db"],
            keep=options["keep"],
            timeout=options["timeout"],
            progress=not options["no_progress"],
        )
        self.stdout.write(f"Creating {settings.leads:,} new leads in a HubSpot sandbox and routing them ...")
        report = run_benchmark(settings)
        for line in report_lines(report):
            self.stdout.write(line)
        if report.lost:
            raise CommandError(f"{report.lost} lead(s) never got their owner at the CRM.")
