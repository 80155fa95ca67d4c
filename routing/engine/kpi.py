"""A rep's KPI score in [0, 1] from their outcomes, for the BEST_SCORE strategy.

Three parts, each in [0, 1]:

* ``win_rate`` = (won + prior_wins) / (won + lost + prior_wins + prior_losses): a Beta prior, so a
  rep with 1 win and no loss does not outrank one with 40 wins and 10 losses. Excluded leads are
  not losses. No outcomes and no prior: 0.5.
* ``load`` = 1 - open / capacity, clipped to [0, 1] (spare room scores high); without a capacity
  1 / (1 + open / 10) (10 open leads score 0.5); capacity 0 is full: 0.
* ``speed`` = target / (target + median seconds from assignment to the first status change): the
  target scores 0.5, instant 1, slow towards 0. No data: 0.5. Negative durations count as 0.

``score`` is the mean of the parts weighted by ``weights.win_rate/load/speed`` (negative weights
count as 0; all zero: score 0).
"""

from __future__ import annotations

from statistics import median

from .types import KpiScore, KpiWeights, RepOutcomes

NEUTRAL = 0.5
#: Open leads at which a rep without capacity scores 0.5 on load.
UNCAPPED_HALF_LOAD = 10.0


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def win_rate(outcomes: RepOutcomes, weights: KpiWeights) -> float:
    wins = max(0, outcomes.won) + max(0.0, weights.prior_wins)
    total = wins + max(0, outcomes.lost) + max(0.0, weights.prior_losses)
    return _clip(wins / total) if total > 0 else NEUTRAL


def load(outcomes: RepOutcomes) -> float:
    open_leads = max(0, outcomes.open)
    if outcomes.capacity is None:
        return 1.0 / (1.0 + open_leads / UNCAPPED_HALF_LOAD)
    if outcomes.capacity <= 0:
        return 0.0
    return _clip(1.0 - open_leads / outcomes.capacity)


def speed(outcomes: RepOutcomes, weights: KpiWeights) -> float:
    if not outcomes.seconds_to_first_change:
        return NEUTRAL
    middle = max(0.0, float(median(outcomes.seconds_to_first_change)))
    target = max(0.0, weights.speed_target_seconds)
    if middle == 0:
        return 1.0
    return _clip(target / (target + middle))


def kpi_score(outcomes: RepOutcomes, weights: KpiWeights) -> KpiScore:
    """The weighted score and its parts (``"win_rate"``, ``"load"``, ``"speed"``); see the module."""
    parts = {
        "win_rate": win_rate(outcomes, weights),
        "load": load(outcomes),
        "speed": speed(outcomes, weights),
    }
    shares = {
        "win_rate": max(0.0, weights.win_rate),
        "load": max(0.0, weights.load),
        "speed": max(0.0, weights.speed),
    }
    total = sum(shares.values())
    score = sum(parts[name] * shares[name] for name in parts) / total if total > 0 else 0.0
    return KpiScore(score=_clip(score), parts=parts)
