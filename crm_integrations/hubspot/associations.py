"""Associations v4: which records of one type are linked to many records of another, in batches of 1,000."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from .api import HubSpotApi, next_after
from .object_types import PRIMARY_TYPE_IDS, object_type
from .objects import chunks, unique

#: Inputs per associations batch read: HubSpot's limit since 2025-02-10 (its changelog, "Bug fix:
#: batch read limit for HubSpot associations API"), so inputs are sent in chunks of this size.
BATCH_READ_LIMIT = 1000
BATCH_READ = "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"


def _is_primary(target: Mapping[str, Any]) -> bool:
    return any(
        kind.get("label") == "Primary" or kind.get("typeId") in PRIMARY_TYPE_IDS
        for kind in target.get("associationTypes") or []
        if isinstance(kind, Mapping)
    )


class AssociationsApi:
    def __init__(self, api: HubSpotApi) -> None:
        self.api = api

    def batch_read(self, from_kind: str, to_kind: str, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """``{from id: (associated ids, primary first)}`` for every id asked (empty when none).

        HubSpot answers ids without associations (or unknown ids) with a 207 error entry: those
        simply have none. A record with more than a page of associations is asked again with its
        ``after`` cursor, batched with the others of its chunk that need another page.
        """
        links: dict[str, tuple[str, ...]] = {}
        for answer in self.api.http.call_all(self.read_calls(from_kind, to_kind, ids)):
            links.update(answer)
        return links

    def read_calls(
        self, from_kind: str, to_kind: str, ids: Sequence[str]
    ) -> list[Callable[[], dict[str, tuple[str, ...]]]]:
        """``batch_read`` as one call per 1,000 ids (with its own pages), for the caller to make
        together with others (crm_integrations/hubspot/expand.py reads records and links at once)."""
        path = {"fromObjectType": object_type(from_kind).name, "toObjectType": object_type(to_kind).name}
        return [partial(self._read_chunk, path, chunk) for chunk in chunks(unique(ids), BATCH_READ_LIMIT)]

    def _read_chunk(self, path: Mapping[str, str], ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, dict[str, bool]] = {record_id: {} for record_id in ids}
        pending: list[dict[str, str]] = [{"id": record_id} for record_id in ids]
        asked: set[tuple[str, str]] = set()  # (id, after) pairs already asked: a repeated cursor ends paging
        while pending:
            body = self.api.json(
                "POST", BATCH_READ, path_params=path, json={"inputs": pending}, idempotent=True
            )
            pending = []
            for result in body.get("results") or []:
                from_id = str((result.get("from") or {}).get("id", ""))
                targets = found.setdefault(from_id, {})
                for target in result.get("to") or []:
                    to_id = str(target.get("toObjectId", ""))
                    targets[to_id] = targets.get(to_id, False) or _is_primary(target)
                after = next_after(result)
                if after and (from_id, after) not in asked:
                    asked.add((from_id, after))
                    pending.append({"id": from_id, "after": after})
        return {
            record_id: tuple(sorted(targets, key=lambda to_id: not targets[to_id]))
            for record_id, targets in found.items()
        }
