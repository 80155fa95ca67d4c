"""KPI score: parts in [0, 1], the win-rate prior, load, speed and the weights."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.engine import KpiWeights, RepOutcomes, kpi_score

DEFAULT = KpiWeights()


def test_one_lucky_win_does_not_outscore_a_long_good_record():
    lucky = kpi_score(RepOutcomes(won=1, lost=0), DEFAULT)
    proven = kpi_score(RepOutcomes(won=40, lost=10), DEFAULT)
    assert lucky.parts["win_rate"] == pytest.approx(3 / 5)  # (1 + 2) / (1 + 0 + 2 + 2)
    assert proven.parts["win_rate"] == pytest.approx(42 / 54)
    assert lucky.score < proven.score


def test_no_outcomes_yet_score_the_prior():
    assert kpi_score(RepOutcomes(), DEFAULT).parts["win_rate"] == pytest.approx(0.5)
    skewed = KpiWeights(prior_wins=1, prior_losses=3)
    assert kpi_score(RepOutcomes(), skewed).parts["win_rate"] == pytest.approx(0.25)
    no_prior = KpiWeights(prior_wins=0, prior_losses=0)
    assert kpi_score(RepOutcomes(), no_prior).parts["win_rate"] == 0.5
    assert kpi_score(RepOutcomes(won=3, lost=1), no_prior).parts["win_rate"] == pytest.approx(0.75)


def test_excluded_leads_are_not_losses():
    assert kpi_score(RepOutcomes(won=4, lost=2, excluded=50), DEFAULT).parts["win_rate"] == pytest.approx(
        6 / 10
    )


def test_load():
    assert kpi_score(RepOutcomes(open=0, capacity=10), DEFAULT).parts["load"] == 1.0
    assert kpi_score(RepOutcomes(open=4, capacity=10), DEFAULT).parts["load"] == pytest.approx(0.6)
    assert kpi_score(RepOutcomes(open=15, capacity=10), DEFAULT).parts["load"] == 0.0
    assert kpi_score(RepOutcomes(open=0, capacity=0), DEFAULT).parts["load"] == 0.0
    assert kpi_score(RepOutcomes(open=10, capacity=None), DEFAULT).parts["load"] == pytest.approx(0.5)
    assert kpi_score(RepOutcomes(open=0, capacity=None), DEFAULT).parts["load"] == 1.0


def test_speed():
    assert kpi_score(RepOutcomes(), DEFAULT).parts["speed"] == 0.5
    assert kpi_score(RepOutcomes(seconds_to_first_change=(3600.0,)), DEFAULT).parts["speed"] == pytest.approx(
        0.5
    )
    fast = kpi_score(RepOutcomes(seconds_to_first_change=(60.0, 120.0, 999_999.0)), DEFAULT)
    assert fast.parts["speed"] == pytest.approx(
        3600 / 3720
    )  # the median, 120 s: one slow lead does not count
    assert kpi_score(RepOutcomes(seconds_to_first_change=(0.0,)), DEFAULT).parts["speed"] == 1.0
    assert kpi_score(RepOutcomes(seconds_to_first_change=(-5.0,)), DEFAULT).parts["speed"] == 1.0


def test_score_is_the_weighted_mean_of_the_parts():
    outcomes = RepOutcomes(won=8, lost=2, open=5, capacity=10, seconds_to_first_change=(1800.0,))
    result = kpi_score(outcomes, DEFAULT)
    parts = result.parts
    expected = 0.5 * parts["win_rate"] + 0.3 * parts["load"] + 0.2 * parts["speed"]
    assert result.score == pytest.approx(expected)
    only_load = kpi_score(outcomes, KpiWeights(win_rate=0, load=1, speed=0))
    assert only_load.score == pytest.approx(0.5)


def test_all_weights_zero_score_zero():
    result = kpi_score(RepOutcomes(won=10), KpiWeights(win_rate=0, load=0, speed=0))
    assert result.score == 0.0
    assert set(result.parts) == {"win_rate", "load", "speed"}


@given(
    st.builds(
        RepOutcomes,
        won=st.integers(0, 500),
        lost=st.integers(0, 500),
        excluded=st.integers(0, 50),
        open=st.integers(0, 100),
        capacity=st.none() | st.integers(0, 50),
        seconds_to_first_change=st.lists(st.floats(0, 1e7), max_size=5).map(tuple),
    ),
    st.builds(
        KpiWeights,
        win_rate=st.floats(0, 10),
        load=st.floats(0, 10),
        speed=st.floats(0, 10),
        prior_wins=st.floats(0, 10),
        prior_losses=st.floats(0, 10),
        speed_target_seconds=st.floats(1, 1e5),
    ),
)
def test_score_and_parts_stay_in_the_unit_interval(outcomes, weights):
    result = kpi_score(outcomes, weights)
    assert 0.0 <= result.score <= 1.0
    assert all(0.0 <= value <= 1.0 for value in result.parts.values())
