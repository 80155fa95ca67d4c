"""Cross-object reads: records with their associated records (lead -> contact -> company, and deals).

Each level costs one associations call per 1,000 records and one batch read per 100 distinct
associated records, so N leads with their contact, company and deals take about N/100 calls,
not N. Within one fetch a record reached twice (a company through its lead and through its
contact) is read once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from crm_integrations.core.types import CrmRecord, Expand

from .associations import AssociationsApi
from .object_types import object_type
from .objects import ObjectsApi, unique


class Expander:
    def __init__(self, objects: ObjectsApi, associations: AssociationsApi) -> None:
        self.objects = objects
        self.associations = associations

    def expand(self, records: Sequence[CrmRecord], expansions: Sequence[Expand]) -> list[CrmRecord]:
        """``records`` with ``associations`` (ids, primary first) and ``associated`` (records) filled in."""
        return _Fetch(self.objects, self.associations).expand(records, expansions)


class _Fetch:
    """One cross-object fetch, with what it already read."""

    def __init__(self, objects: ObjectsApi, associations: AssociationsApi) -> None:
        self.objects = objects
        self.associations = associations
        self._records: dict[tuple[str, tuple[str, ...]], dict[str, CrmRecord]] = {}
        self._links: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}

    def expand(self, records: Sequence[CrmRecord], expansions: Sequence[Expand]) -> list[CrmRecord]:
        if not records or not expansions:
            return list(records)
        by_type: dict[str, list[CrmRecord]] = {}
        for record in records:
            by_type.setdefault(record.object_type, []).append(record)
        expanded = {
            (record.object_type, record.id): record
            for kind, group in by_type.items()
            for record in self._expand_type(kind, group, expansions)
        }
        return [expanded[(record.object_type, record.id)] for record in records]

    def _expand_type(
        self, kind: str, records: list[CrmRecord], expansions: Sequence[Expand]
    ) -> list[CrmRecord]:
        associations: dict[str, dict[str, tuple[str, ...]]] = {record.id: {} for record in records}
        associated: dict[str, dict[str, tuple[CrmRecord, ...]]] = {record.id: {} for record in records}
        for expansion in expansions:
            target = object_type(expansion.object_type).name
            links = self._links_of(kind, target, [record.id for record in records])
            children = self._read(
                target, unique([i for ids in links.values() for i in ids]), expansion.properties
            )
            by_id = {child.id: child for child in self.expand(children, expansion.expand)}
            for record in records:
                ids = links.get(record.id, ())
                associations[record.id][target] = ids
                associated[record.id][target] = tuple(by_id[i] for i in ids if i in by_id)
        return [
            replace(
                record,
                associations={**record.associations, **associations[record.id]},
                associated={**record.associated, **associated[record.id]},
            )
            for record in records
        ]

    def _links_of(self, kind: str, target: str, ids: list[str]) -> dict[str, tuple[str, ...]]:
        known = self._links.setdefault((kind, target), {})
        missing = [record_id for record_id in ids if record_id not in known]
        if missing:
            known.update(self.associations.batch_read(kind, target, missing))
        return {record_id: known.get(record_id, ()) for record_id in ids}

    def _read(self, kind: str, ids: list[str], properties: tuple[str, ...]) -> list[CrmRecord]:
        known = self._records.setdefault((kind, tuple(sorted(properties))), {})
        missing = [record_id for record_id in ids if record_id not in known]
        if missing:
            known.update(
                (record.id, record)
                for record in self.objects.batch_read(kind, missing, properties=properties)
            )
        return [known[record_id] for record_id in ids if record_id in known]
