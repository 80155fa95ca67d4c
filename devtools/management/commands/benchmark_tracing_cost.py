"""``manage.py benchmark_tracing_cost``: the routing latency benchmark with tracing off and on, in
one run (devtools/benchmarks/routing/tracing_cost.py); prints both and the cost against the goal
(under 10% slower: PASS/MISS). Takes every option of ``benchmark_routing_latency``; its default is
a steady lead a second for 20 s, within the sandbox's API budget (a burst's latency is bound by the
CRM's rate limit, which would hide what tracing costs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from devtools.benchmarks.routing.latency import LatencyOptions
from devtools.benchmarks.routing.tracing_cost import MODES, report_lines, run_modes

from .benchmark_routing_latency import Command as LatencyCommand


class Command(LatencyCommand):
    help = "Run the routing latency benchmark with tracing off and on, and print what tracing costs."

    def add_options(self, parser: CommandParser) -> None:
        super().add_options(parser)
        parser.set_defaults(rate=1.0, duration=20.0)
        parser.add_argument(
            "--tracing", choices=["on", "off", "both"], default="both", help="Which runs to make (both)."
        )
        parser.add_argument(
            "--rounds", type=int, default=1, help="Rounds of the runs, alternating order (1)."
        )

    def computed(self, options: Any) -> dict[str, Any]:
        self._modes = MODES if options["tracing"] == "both" else (options["tracing"],)
        self._rounds = max(1, options["rounds"])
        return super().computed(options)

    def run(self, settings: LatencyOptions) -> None:
        self.stdout.write(
            f"Routing latency, tracing {' and '.join(self._modes)}, {self._rounds} round(s) ..."
        )
        figures = run_modes(settings, self._modes, self._rounds)
        self.write_lines(report_lines(figures, settings))
        if any(f.lost for f in figures):
            raise CommandError("Some leads never got their owner at the CRM.")
