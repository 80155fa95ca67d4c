"""In-memory association links of one portal; every link is stored in both directions."""

from __future__ import annotations

from collections import defaultdict

from .association_types import association_type

_Key = tuple[str, int, str]  # (from object type, from id, to object type)
Link = tuple[str, int, str, int, list[int]]  # (from type, from id, to type, to id, sorted type ids)


class AssociationStore:
    def __init__(self) -> None:
        self._links: dict[_Key, dict[int, set[int]]] = defaultdict(dict)

    def add(self, from_type: str, from_id: int, to_type: str, to_id: int, type_id: int) -> None:
        """Link two records with ``type_id`` (and its reverse); a primary type replaces the old primary."""
        kind = association_type(type_id)
        if kind is None or kind.from_type != from_type or kind.to_type != to_type:
            raise ValueError(f"association type {type_id} does not link {from_type} to {to_type}")
        if kind.primary:
            for other_id, type_ids in list(self._links[(from_type, from_id, to_type)].items()):
                if other_id != to_id and type_id in type_ids:
                    self._discard(from_type, from_id, to_type, other_id, type_id)
        self._links[(from_type, from_id, to_type)].setdefault(to_id, set()).add(type_id)
        self._links[(to_type, to_id, from_type)].setdefault(from_id, set()).add(kind.reverse_id)

    def remove(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        """Remove every link between the two records."""
        for type_id in list(self._links[(from_type, from_id, to_type)].get(to_id, ())):
            self._discard(from_type, from_id, to_type, to_id, type_id)

    def _discard(self, from_type: str, from_id: int, to_type: str, to_id: int, type_id: int) -> None:
        kind = association_type(type_id)
        for key, target, tid in (
            ((from_type, from_id, to_type), to_id, type_id),
            ((to_type, to_id, from_type), from_id, kind.reverse_id if kind else type_id),
        ):
            links = self._links[key]
            if target in links:
                links[target].discard(tid)
                if not links[target]:
                    del links[target]

    def targets(self, from_type: str, from_id: int, to_type: str) -> list[tuple[int, list[int]]]:
        """``[(to_id, [type ids])]`` ordered by id."""
        links = self._links.get((from_type, from_id, to_type), {})
        return [(to_id, sorted(links[to_id])) for to_id in sorted(links)]

    def first_target(
        self, from_type: str, from_id: int, to_type: str, type_id: int | None = None
    ) -> int | None:
        for to_id, type_ids in self.targets(from_type, from_id, to_type):
            if type_id is None or type_id in type_ids:
                return to_id
        return None

    def links(self) -> list[Link]:
        """Every stored link, in both directions (for saving the state)."""
        return [
            (from_type, from_id, to_type, to_id, sorted(type_ids))
            for (from_type, from_id, to_type), targets in self._links.items()
            for to_id, type_ids in targets.items()
            if type_ids
        ]

    @classmethod
    def from_links(cls, links: list[Link]) -> AssociationStore:
        """A store holding exactly ``links`` (as :meth:`links` gave them; no reverse links are added)."""
        store = cls()
        for from_type, from_id, to_type, to_id, type_ids in links:
            key = (str(from_type), int(from_id), str(to_type))
            store._links[key][int(to_id)] = {int(type_id) for type_id in type_ids}
        return store
