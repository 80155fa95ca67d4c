"""``manage.py benchmark_health_dashboard``: the provider health page's server time over rollups
worth 1,000,000 call records for 100 connections (goal: p95 < 300 ms), PASS/MISS. The work is in
devtools/benchmarks/health/dashboard.py; a fresh SQLite file unless ``--configured-db``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.harness.command import BenchmarkCommand, add_configured_db_argument
from devtools.benchmarks.harness.fresh_db import benchmark_database
from devtools.benchmarks.health import dashboard


class Command(BenchmarkCommand):
    help = "Time the provider health page over a week of rollups for many connections."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--connections", type=int, default=100, help="Connections (100).")
        parser.add_argument(
            "--calls", type=int, default=1_000_000, help="Call records the rollups stand for."
        )
        parser.add_argument("--requests", type=int, default=20, help="Timed requests per view (20).")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic data (1).")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark's organizations.")
        add_configured_db_argument(parser)

    def handle(
        self, *args: Any, connections: int, calls: int, requests: int, seed: int, keep: bool, **options: Any
    ) -> None:
        if min(connections, calls, requests) < 1:
            raise CommandError("Use at least 1 connection, 1 call and 1 request.")
        fresh = not options["configured_db"]
        with (
            tempfile.TemporaryDirectory() as folder,
            benchmark_database(Path(folder), fresh=fresh, keep=keep) as where,
        ):
            self.stdout.write(f"Database: {where}")
            try:
                result = dashboard.run(
                    connections=connections,
                    calls=calls,
                    requests=requests,
                    seed_value=seed,
                    say=self.stdout.write,
                )
                self.write_lines(dashboard.report_lines(result))
            finally:
                if not keep:
                    dashboard.remove(say=self.stdout.write)
