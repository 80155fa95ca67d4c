"""Who is in a pool: its reps plus its teams' members, once each, in a fixed order.

Team membership is ``Roster.teams`` (team id -> rep ids); ``RepState.teams`` is not read here.
"""

from __future__ import annotations

from collections.abc import Mapping

from .types import Pool, Roster


def pool_order(pool: Pool, teams: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The rep ids ``pool`` names, directly or through ``teams``: deduplicated and sorted by rep id
    (as strings), so that the order never depends on how the pool was written. Not yet checked
    against the roster's reps (see :func:`pool_members`); unknown teams add nobody."""
    ids = set(pool.reps)
    for team in pool.teams:
        ids.update(teams.get(team, ()))
    return tuple(sorted(ids, key=str))


def pool_members(pool: Pool, roster: Roster) -> tuple[str, ...]:
    """The pool's reps in pool order: :func:`pool_order`, without ids the roster does not have."""
    return tuple(rep_id for rep_id in pool_order(pool, roster.teams) if rep_id in roster.reps)
