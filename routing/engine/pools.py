"""Who is in a pool: its reps plus its teams' members, once each, in a fixed order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .types import Pool, RepState, Roster


def team_members(roster: Roster) -> dict[str, set[str]]:
    """Team id -> member rep ids: ``roster.teams`` joined with each rep's own ``teams`` (both name
    memberships; a rep listed by either belongs)."""
    members: dict[str, set[str]] = {team: set(ids) for team, ids in roster.teams.items()}
    for rep in roster.reps.values():
        for team in rep.teams:
            members.setdefault(team, set()).add(rep.id)
    return members


@dataclass(frozen=True, slots=True)
class Members:
    """A pool resolved against a roster: ``reps`` in pool order, ``position`` rep id -> index."""

    reps: tuple[RepState, ...]
    position: Mapping[str, int]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(rep.id for rep in self.reps)


def pool_members(pool: Pool, roster: Roster, teams: Mapping[str, set[str]] | None = None) -> Members:
    """The reps of ``pool``: named reps and members of named teams, deduplicated, sorted by rep id
    (as strings) so that the order never depends on how the pool was written. Ids that are not in
    the roster (and unknown teams) are skipped. ``teams`` may pass :func:`team_members` of the roster."""
    teams = team_members(roster) if teams is None else teams
    ids = set(pool.reps)
    for team in pool.teams:
        ids |= teams.get(team, set())
    reps = tuple(roster.reps[rep_id] for rep_id in sorted((i for i in ids if i in roster.reps), key=str))
    return Members(reps=reps, position={rep.id: index for index, rep in enumerate(reps)})
