"""``manage.py benchmark_worker_scaling``: the routing latency benchmark's burst with HubSpot's API
budget lifted, once per Celery worker count (``--workers-list 1,2,4``), reporting leads a second
against the count, each process group's CPU during the drain, the per-lead cost model, and after
each run the checks: no double assignment, no rep over capacity, the round-robin order intact.

A missed speed goal is a figure; a failed check or a lost lead exits 1. The work is in
:mod:`devtools.benchmarks.routing.scaling`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.harness.command import StackCommand
from devtools.benchmarks.routing.scaling import LIFTED_API_LIMIT, ScalingOptions, run_scaling
from devtools.benchmarks.routing.scaling_report import correctness_failures, report_lines


def worker_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise CommandError(f"--workers-list takes counts separated by commas, not {text!r}.") from error
    if not counts or min(counts) < 1:
        raise CommandError("--workers-list needs at least one count, each at least 1.")
    return counts


class Command(StackCommand):
    help = (
        "Drain a burst of new HubSpot leads with the API budget lifted, once per Celery worker count; "
        "report leads/s, CPU per process group, the per-lead cost model and the correctness checks."
    )
    options_class = ScalingOptions
    at_least_one = ("leads", "web_workers", "senders")
    refusal = "Use at least 1 lead, web worker and sender."
    default_timeout = 900
    timeout_help = "Most seconds to wait for the owners, per run"
    keep_help = "Keep each run's fresh database file / the organization."
    configured_db = True

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=5000, help="New leads in the burst (5000).")
        parser.add_argument(
            "--workers-list", default="1,2,4", help="Celery worker processes per run, in order (1,2,4)."
        )
        parser.add_argument(
            "--senders", type=int, default=10, help="The sandbox's concurrent webhook POSTs (10)."
        )
        parser.add_argument(
            "--api-limit",
            type=int,
            default=LIFTED_API_LIMIT,
            help=f"The sandbox portal's API calls per 10 s ({LIFTED_API_LIMIT}: lifted, so the pipeline "
            "is the bound).",
        )
        parser.add_argument(
            "--separate-cpus",
            action="store_true",
            help="gunicorn and the sandbox on the first half of the CPUs, Celery on the other half, "
            "as separate machines would be.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def check(self, options: Mapping[str, Any]) -> None:
        if options["api_limit"] < 2:
            raise CommandError("--api-limit must allow at least 2 calls per 10 s.")

    def computed(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "workers_list": worker_counts(options["workers_list"]),
            "progress": not options["no_progress"],
        }

    def run(self, settings: Any) -> None:
        report = run_scaling(settings)
        self.write_lines(report_lines(report))
        if failed := correctness_failures(report):
            raise CommandError(
                f"{failed} run(s) lost a lead, assigned one twice, overfilled a rep or broke the rotation."
            )
