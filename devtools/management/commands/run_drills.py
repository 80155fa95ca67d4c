"""``manage.py run_drills``: the reliability drills of issue 12 (duplicate and concurrent replays,
stale and foreign signatures, bad inputs, CRM 429/5xx/timeouts/timeout-but-applied, the web app
down, webhooks lost, access tokens expiring, a revoked refresh token) against a HubSpot sandbox,
gunicorn and Celery workers of their own. Prints a table per drill; exits 1 on any lead lost, any
duplicated write or any other problem a drill found. The work is in :mod:`devtools.benchmarks.drills`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.drills.measure import DrillResult
from devtools.benchmarks.drills.report import table_lines
from devtools.benchmarks.drills.runner import DRILLS, chosen, run_drills
from devtools.benchmarks.drills.stack import DrillOptions
from devtools.benchmarks.harness.command import StackCommand


class Command(StackCommand):
    help = (
        "Run the reliability drills against a HubSpot sandbox, gunicorn and Celery workers started for "
        "them, and print sent / stored / routed / written / lost / duplicated writes / seconds to recover."
    )
    options_class = DrillOptions
    at_least_one = ("leads", "workers", "web_workers")
    refusal = "Use at least 1 lead, Celery worker and web worker."
    default_timeout = 180
    timeout_help = "Most seconds a drill waits for its owners"
    keep_help = ""
    broker = False
    configured_db = True

    def add_options(self, parser: CommandParser) -> None:
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

    def computed(self, options: Mapping[str, Any]) -> dict[str, Any]:
        names = tuple(name.strip() for name in options["drills"].split(",") if name.strip())
        return {"drills": tuple(chosen(names)), "outage_seconds": options["outage"]}

    def run(self, settings: DrillOptions) -> None:
        self.stdout.write(f"Running {len(settings.drills)} drill(s), {settings.leads} leads each ...")
        results = run_drills(settings, on_result=self._progress)
        self.write_lines(table_lines(results, settings))
        failed = [result.name for result in results if not result.passed]
        if failed:
            raise CommandError(f"Lost leads, duplicated writes or problems in: {', '.join(failed)}.")

    def _progress(self, result: DrillResult) -> None:
        verdict = "ok" if result.passed else "FAILED"
        figures = f"{result.written} written, {result.lost} lost, {result.duplicated} duplicated writes"
        self.stdout.write(f"  {result.name}: {verdict} ({figures})")
