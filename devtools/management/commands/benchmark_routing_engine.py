"""``manage.py benchmark_routing_engine``: routing decisions per second on a synthetic rule set.

Builds a seeded rule set (``--rules``), roster (``--reps``) and leads (``--leads``) and routes every
lead with the engine, threading the round-robin state; prints the figures and the goal (PASS/MISS).
A missed goal is a figure, not an error. The work is in :mod:`devtools.benchmarks.routing.engine`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.harness.command import BenchmarkCommand
from devtools.benchmarks.routing.engine import report_lines, run_benchmark


class Command(BenchmarkCommand):
    help = "Time the routing engine: decisions per second with N rules, reps and leads (no database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rules", type=int, default=200, help="Rules in the rule set (200).")
        parser.add_argument("--reps", type=int, default=500, help="Reps in the roster (500).")
        parser.add_argument("--leads", type=int, default=20_000, help="Leads to route (20000).")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic data (1).")
        parser.add_argument(
            "--moving-loads",
            action="store_true",
            help="Route each lead with a new roster in which the last chosen rep has one more open lead "
            "(as the service layer does).",
        )

    def handle(
        self, *args: Any, rules: int, reps: int, leads: int, seed: int, moving_loads: bool, **options: Any
    ) -> None:
        if rules < 1 or reps < 1 or leads < 1:
            raise CommandError("Use at least 1 rule, 1 rep and 1 lead.")
        self.stdout.write(f"Routing {leads} leads through {rules} rules to {reps} reps (seed {seed})...")
        result = run_benchmark(rules=rules, reps=reps, leads=leads, seed=seed, moving_loads=moving_loads)
        self.write_lines(report_lines(result))
        verdict = self.style.SUCCESS("PASS") if result.meets_goal else self.style.WARNING("MISS")
        self.stdout.write(f"Result: {verdict}")
