"""Taking back what a failed seeding pass added to a portal (:func:`.seed.seed_leads` is all or nothing).

Seeding only adds: new records (appended to each type's dict, so the new ones are the last), links that
touch at least one new record, id counters moved on, and one more lead batch. Undoing that is cheap, and
needs no copy of a portal that may hold tens of thousands of records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

from .state import Portal


@contextmanager
def all_or_nothing(portal: Portal) -> Iterator[None]:
    """Run a seeding pass; if it raises, the portal is as it was before (then the error goes on)."""
    sizes = {name: len(items) for name, items in portal.records.items()}
    next_ids, lead_batches = dict(portal.next_ids), portal.lead_batches
    try:
        yield
    except BaseException:
        _drop_added(portal, sizes)
        portal.next_ids, portal.lead_batches = next_ids, lead_batches
        raise


def _drop_added(portal: Portal, sizes: dict[str, int]) -> None:
    types = list(portal.records)
    for name in types:
        items = portal.records[name]
        for record_id in list(islice(items, sizes.get(name, 0), None)):
            for other in types:
                for to_id, _ in portal.associations.targets(name, record_id, other):
                    portal.associations.remove(name, record_id, other, to_id)
            del items[record_id]
