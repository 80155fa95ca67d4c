"""``manage.py run_drills``: the reliability drills of issue 12 (duplicate and concurrent replays,
stale and foreign signatures, bad inputs, CRM 429/5xx/timeouts/timeout-but-applied, the web app
down, webhooks lost, access tokens expiring, a revoked refresh token) against a HubSpot sandbox,
gunicorn and Celery workers of their own. Prints a table per drill; exits 1 on any lead lost, any
duplicated write or any other problem a drill found. The work is in :mod:`routing.benchmarks.drills`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.benchmarks.drills.measure import DrillResult
from routing.benchmarks.drills.report import table_lines
from routing.benchmarks.drills.runner import DRILLS, chosen, run_drills
from routing.benchmarks.drills.stack import DrillOptions


class Command(BaseCommand):
    help = (
        "Run the reliability drills against a HubSpot sandbox, gunicorn and Celery workers started for "
        "them, and print sent / stored / routed / written / lost / duplicated writes / seconds to recover."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drills", default="", help=f"Comma-separated drills to run (default: all): {', '.join(DRILLS)}."
        )
        parser.add_argument("--leads", type=int, default=20, help="New leads per drill (20).")
        parser.add_argument(
            "--outage", type=float, default=20, help="Seconds the web app is down in web-down (20)."
        )
        parser.add_argument(
            "--fault-seconds", type=float, default=10, help="Seconds CRM faults stay on after creation (10)."
        )
        parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (2).")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2).")
        parser.add_argument(
            "--timeout", type=float, default=180, help="Most seconds a drill waits for its owners (180)."
        )
        parser.add_argument(
            "--configured-db",
            action="store_true",
            help="Use the configured database (a dedicated organization) instead of a fresh SQLite file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["leads"], options["workers"], options["web_workers"]) < 1:
            raise CommandError("Use at least 1 lead, Celery worker and web worker.")
        names = tuple(name.strip() for name in options["drills"].split(",") if name.strip())
        settings = DrillOptions(
            leads=options["leads"],
            drills=tuple(chosen(names)),
            outage_seconds=options["outage"],
            fault_seconds=options["fault_seconds"],
            workers=options["workers"],
            web_workers=options["web_workers"],
            timeout=options["timeout"],
            fresh_db=not options["configured_db"],
        )
        self.stdout.write(f"Running {len(settings.drills)} drill(s), {settings.leads} leads each ...")
        results = run_drills(settings, on_result=self._progress)
        for line in table_lines(results, settings):
            self.stdout.write(line)
        failed = [result.name for result in results if not result.passed]
        if failed:
            raise CommandError(f"Lost leads, duplicated writes or problems in: {', '.join(failed)}.")

    def _progress(self, result: DrillResult) -> None:
        verdict = "ok" if result.passed else "FAILED"
        figures = f"{result.written} written, {result.lost} lost, {result.duplicated} duplicated writes"
        self.stdout.write(f"  {result.name}: {verdict} ({figures})")
