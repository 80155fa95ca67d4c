"""The engine benchmark at small sizes: its figures add up (no timing is asserted)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.benchmarks.routing.engine import build_scenario, report_lines, run_benchmark, run_scenario


@pytest.mark.parametrize("moving_loads", [False, True])
def test_the_figures_add_up(moving_loads):
    result = run_benchmark(rules=30, reps=60, leads=400, seed=3, moving_loads=moving_loads)
    assert (result.rules, result.reps, result.teams) == (30, 60, 3)
    assert result.decisions == 400
    assert sum(result.outcomes.values()) == result.decisions
    assert set(result.outcomes) == {"assigned", "held", "no_rule", "no_eligible_rep"}
    assert sum(result.via.values()) == result.outcomes["assigned"]
    assert result.outcomes["no_rule"] == 0  # the last rule catches everything
    assert 0 < result.last_rule <= result.decisions - result.outcomes["held"]
    assert 1 <= result.mean_rules_evaluated <= result.mean_rules_evaluated_routed <= 30
    assert result.seconds > 0 and result.decisions_per_second == pytest.approx(400 / result.seconds)
    assert result.meets_goal == (result.decisions_per_second >= 10_000)
    assert any(line.startswith("Decisions/s: ") for line in report_lines(result))


def test_the_scenario_is_the_same_for_the_same_seed():
    first, again = (
        build_scenario(rules=20, reps=40, leads=50, seed=7),
        build_scenario(rules=20, reps=40, leads=50, seed=7),
    )
    assert first == again
    assert first != build_scenario(rules=20, reps=40, leads=50, seed=8)
    one, two = run_scenario(first), run_scenario(again)
    assert (one.outcomes, one.via, one.mean_rules_evaluated) == (
        two.outcomes,
        two.via,
        two.mean_rules_evaluated,
    )


def test_the_command_prints_the_figures_and_the_goal():
    out = StringIO()
    call_command(
        "benchmark_routing_engine",
        "--rules",
        "15",
        "--reps",
        "30",
        "--leads",
        "200",
        "--seed",
        "2",
        stdout=out,
    )
    text = out.getvalue()
    assert "Routing 200 leads through 15 rules to 30 reps (seed 2)" in text
    assert "Decisions/s: " in text
    assert "Rules evaluated per decision: " in text
    assert "Outcomes: assigned " in text
    assert "Goal: >= 10,000 decisions/s: " in text
    assert ("PASS" in text) or ("MISS" in text)


def test_the_command_refuses_empty_sizes():
    with pytest.raises(CommandError):
        call_command("benchmark_routing_engine", "--leads", "0", stdout=StringIO())
