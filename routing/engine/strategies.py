"""Picking one rep among a pool's eligible reps, per strategy.

Every function receives the eligible reps as ``(index, rep)`` pairs in pool order (``index`` is the
rep's position in the whole pool, eligible or not) and returns a :class:`Pick`. Ties always fall to
pool order, so the same inputs give the same rep. Rotations return a new :class:`RotationState`
in which only ``rule_id``'s entries changed; the given state is never modified.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from .types import RepState, RotationState, Strategy

Eligible = Sequence[tuple[int, RepState]]

#: LEAST_LOADED reads a rep without capacity as one with this capacity: its ratio is its open count
#: relative to "unlimited", so it sorts before any capped rep with the same open count, and among
#: unlimited reps the one with fewer open leads comes first.
UNLIMITED_CAPACITY = 1_000_000


@dataclass(frozen=True, slots=True)
class Pick:
    rep_id: str
    rotation: RotationState | None = None  # the new positions, when a rotation strategy picked


def round_robin(rule_id: str, eligible: Eligible, after: int | None, rotation: RotationState) -> Pick:
    """The first eligible rep after the one this rule gave the last lead to, in pool order, wrapping
    around. ``after`` is that rep's index in the pool, None when there is no such rep or it is no
    longer in the pool: then the first eligible rep."""
    chosen = eligible[0][1]
    if after is not None:
        for index, rep in eligible:
            if index > after:
                chosen = rep
                break
    last_map = dict(rotation.last)
    last_map[rule_id] = chosen.id
    return Pick(chosen.id, RotationState(last=last_map, credits=rotation.credits))


def weighted_round_robin(
    rule_id: str, eligible: Eligible, rotation: RotationState, keep: Collection[str]
) -> Pick | None:
    """Smooth weighted round robin (as nginx): every eligible rep with weight > 0 gains its weight
    in credit, the one with the most credit (first in pool order on a tie) is chosen and pays the
    total weight. Over sum(weights) leads with the same eligible reps, each gets exactly its weight.

    Credits of reps not eligible this time are kept as they are; credits of reps no longer in
    ``keep`` (the rule's pool and fallback) are dropped. None when no eligible rep has weight.
    """
    weighted = [rep for _, rep in eligible if rep.weight > 0]
    if not weighted:
        return None
    old = rotation.credits.get(rule_id, {})
    credits = {rep_id: credit for rep_id, credit in old.items() if rep_id in keep}
    total = 0
    chosen: RepState | None = None
    best = 0
    for rep in weighted:
        credit = credits.get(rep.id, 0) + rep.weight
        credits[rep.id] = credit
        total += rep.weight
        if chosen is None or credit > best:
            chosen, best = rep, credit
    assert chosen is not None
    credits[chosen.id] -= total
    credit_map = dict(rotation.credits)
    credit_map[rule_id] = credits
    last_map = dict(rotation.last)
    last_map[rule_id] = chosen.id
    return Pick(chosen.id, RotationState(last=last_map, credits=credit_map))


def best_score(eligible: Eligible) -> Pick:
    """The highest score; ties go to fewer open leads, then pool order."""
    _, _, _, rep = min((-rep.score, rep.open_leads, index, rep) for index, rep in eligible)
    return Pick(rep.id)


def load_ratio(rep: RepState) -> float:
    """Open leads over capacity (capacity None: over :data:`UNLIMITED_CAPACITY`)."""
    if rep.capacity is None:
        return rep.open_leads / UNLIMITED_CAPACITY
    if rep.capacity <= 0:
        return float("inf")
    return rep.open_leads / rep.capacity


def least_loaded(eligible: Eligible) -> Pick:
    """The lowest open/capacity ratio (:func:`load_ratio`); ties go to fewer open leads, then pool order."""
    _, _, _, rep = min((load_ratio(rep), rep.open_leads, index, rep) for index, rep in eligible)
    return Pick(rep.id)


def pool_strategy(strategy: Strategy, fallback: Strategy) -> Strategy:
    """The strategy a pool is served with: ACCOUNT_OWNER serves pools with its ``pool_strategy``
    (round robin if that is ACCOUNT_OWNER too, which would mean nothing for a pool)."""
    if strategy is not Strategy.ACCOUNT_OWNER:
        return strategy
    return fallback if fallback is not Strategy.ACCOUNT_OWNER else Strategy.ROUND_ROBIN


def choose(
    strategy: Strategy,
    rule_id: str,
    eligible: Eligible,
    position: Mapping[str, int],
    rotation: RotationState,
    keep: Collection[str],
) -> Pick | None:
    """One eligible rep by ``strategy`` (not ACCOUNT_OWNER: see :func:`pool_strategy`); None if none.

    ``position`` maps the rep ids of the pool (as it is now) to their index."""
    if not eligible:
        return None
    if strategy is Strategy.ROUND_ROBIN:
        last = rotation.last.get(rule_id)
        return round_robin(rule_id, eligible, position.get(last) if last is not None else None, rotation)
    if strategy is Strategy.WEIGHTED_ROUND_ROBIN:
        return weighted_round_robin(rule_id, eligible, rotation, keep)
    if strategy is Strategy.BEST_SCORE:
        return best_score(eligible)
    if strategy is Strategy.LEAST_LOADED:
        return least_loaded(eligible)
    raise ValueError(f"{strategy} does not pick from a pool")
