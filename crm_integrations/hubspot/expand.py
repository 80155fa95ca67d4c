"""Cross-object reads: records with their associated records (lead -> contact -> company, and deals).

Each level costs one associations call per 1,000 records and one batch read per 100 distinct
associated records, so N leads with their contact, company and deals take about N/100 calls,
not N. Within one fetch a record reached twice (a company through its lead and through its
contact) is read once.

A level's calls go out together (crm_integrations/core/http/concurrent.py): the records of the
level and their links to every type they expand to need only the level's ids, so a lead, its
contact and the contact's company take three round trips to HubSpot (the lead with its contact
links, the contact with its company links, the company), not five.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from crm_integrations.core.types import CrmRecord, Expand

from .associations import AssociationsApi
from .object_types import object_type
from .objects import ObjectsApi, unique


class Expander:
    def __init__(self, objects: ObjectsApi, associations: AssociationsApi) -> None:
        self.objects = objects
        self.associations = associations

    def read(
        self, kind: str, ids: Sequence[str], properties: Sequence[str], expansions: Sequence[Expand]
    ) -> list[CrmRecord]:
        """Records by id (in the order of ``ids``; unknown ones left out) with their associated
        records; the records and their first links are read together."""
        name = object_type(kind).name
        found = _Fetch(self.objects, self.associations).level(
            [_Group(name, tuple(unique(ids)), tuple(properties), tuple(expansions))]
        )[0]
        return [found[record_id] for record_id in unique(ids) if record_id in found]

    def expand(self, records: Sequence[CrmRecord], expansions: Sequence[Expand]) -> list[CrmRecord]:
        """``records`` with ``associations`` (ids, primary first) and ``associated`` (records) filled in."""
        if not records or not expansions:
            return list(records)
        by_type: dict[str, list[CrmRecord]] = {}
        for record in records:
            by_type.setdefault(record.object_type, []).append(record)
        groups = [
            _Group(kind, tuple(r.id for r in group), (), tuple(expansions), {r.id: r for r in group})
            for kind, group in by_type.items()
        ]
        levels = _Fetch(self.objects, self.associations).level(groups)
        expanded = {
            (group.kind, record_id): record
            for group, found in zip(groups, levels, strict=True)
            for record_id, record in found.items()
        }
        return [expanded[(record.object_type, record.id)] for record in records]


@dataclass(frozen=True)
class _Group:
    """Records of one type to read (unless ``given``) and expand, at one level of a fetch."""

    kind: str  # HubSpot's object type name
    ids: tuple[str, ...]
    properties: tuple[str, ...]
    expansions: tuple[Expand, ...]
    given: dict[str, CrmRecord] | None = None


class _Fetch:
    """One cross-object fetch, with what it already read."""

    def __init__(self, objects: ObjectsApi, associations: AssociationsApi) -> None:
        self.objects = objects
        self.associations = associations
        self._records: dict[tuple[str, ...], dict[str, CrmRecord]] = {}  # (type, *properties)
        self._links: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}  # ("links", from, to)

    def level(self, groups: Sequence[_Group]) -> list[dict[str, CrmRecord]]:
        """Each group's records by id, expanded to the last level. The level's own reads (records
        not given nor read yet, and links to every expansion's type) go out together; then the
        next level's, for every group's expansions at once."""
        self._read_level(groups)
        children = [
            _Group(
                _target(expansion), self._linked_ids(group, expansion), expansion.properties, expansion.expand
            )
            for group in groups
            for expansion in group.expansions
        ]
        below = iter(self.level(children) if children else [])
        return [self._expanded(group, [next(below) for _ in group.expansions]) for group in groups]

    def _read_level(self, groups: Sequence[_Group]) -> None:
        calls: list[Callable[[], Any]] = []
        keep: list[Callable[[Any], None]] = []
        asked: dict[tuple[str, ...], set[str]] = {}  # ids asked for at this level, per read

        def not_yet(key: tuple[str, ...], ids: Sequence[str], known: dict[str, Any]) -> list[str]:
            taken = asked.setdefault(key, set())
            missing = [record_id for record_id in ids if record_id not in known and record_id not in taken]
            taken.update(missing)
            return missing

        for group in groups:
            if group.given is None:
                key = (group.kind, *sorted(group.properties))
                known = self._records.setdefault(key, {})
                for call in self.objects.read_calls(
                    group.kind, not_yet(key, group.ids, known), group.properties
                ):
                    calls.append(call)
                    keep.append(lambda records, known=known: known.update((r.id, r) for r in records))
            for expansion in group.expansions:
                key = ("links", group.kind, _target(expansion))
                links = self._links.setdefault(key, {})
                for call in self.associations.read_calls(group.kind, key[2], not_yet(key, group.ids, links)):
                    calls.append(call)
                    keep.append(links.update)
        answers = self.objects.api.http.call_all(calls)
        for answer, store in zip(answers, keep, strict=True):
            store(answer)

    def _linked_ids(self, group: _Group, expansion: Expand) -> tuple[str, ...]:
        links = self._links[("links", group.kind, _target(expansion))]
        return tuple(unique([i for record_id in group.ids for i in links.get(record_id, ())]))

    def _expanded(self, group: _Group, below: list[dict[str, CrmRecord]]) -> dict[str, CrmRecord]:
        if group.given is not None:
            records = group.given
        else:
            known = self._records[(group.kind, *sorted(group.properties))]
            records = {record_id: known[record_id] for record_id in group.ids if record_id in known}
        if not group.expansions:
            return records
        expanded = {}
        for record_id, record in records.items():
            associations: dict[str, tuple[str, ...]] = {}
            associated: dict[str, tuple[CrmRecord, ...]] = {}
            for expansion, by_id in zip(group.expansions, below, strict=True):
                target = _target(expansion)
                ids = self._links[("links", group.kind, target)].get(record_id, ())
                associations[target] = ids
                associated[target] = tuple(by_id[i] for i in ids if i in by_id)
            expanded[record_id] = replace(
                record,
                associations={**record.associations, **associations},
                associated={**record.associated, **associated},
            )
        return expanded


def _target(expansion: Expand) -> str:
    return object_type(expansion.object_type).name
