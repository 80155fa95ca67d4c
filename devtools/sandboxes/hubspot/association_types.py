"""HUBSPOT_DEFINED association types between the sandbox's object types.

Ids are HubSpot's published defaults (its associations v4 guide). Reverse ids HubSpot does not publish
(contact->lead, company->lead, task<->lead) are ours: each is its forward id + 1, as in HubSpot's other pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .object_types import object_type

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"


@dataclass(frozen=True)
class AssociationType:
    type_id: int
    from_type: str
    to_type: str
    name: str  # v3 ``type`` string, e.g. "deal_to_contact"
    label: str | None  # v4 label; None = unlabeled
    reverse_id: int
    primary: bool = False
    default: bool = False  # the unlabeled type created by the "default" endpoints


def _pair(
    forward: int,
    reverse: int,
    from_type: str,
    to_type: str,
    *,
    primary: bool = False,
    has_primary: bool = False,
) -> list[AssociationType]:
    """Both directions of one association kind.

    v3 names follow HubSpot: the primary kind is ``contact_to_company``; where a primary kind exists the
    unlabeled one is ``contact_to_company_unlabeled``.
    """
    fs, ts = object_type(from_type).singular, object_type(to_type).singular
    suffix = "_unlabeled" if has_primary and not primary else ""
    label = "Primary" if primary else None
    return [
        AssociationType(
            forward, from_type, to_type, f"{fs}_to_{ts}{suffix}", label, reverse, primary, not primary
        ),
        AssociationType(
            reverse, to_type, from_type, f"{ts}_to_{fs}{suffix}", label, forward, primary, not primary
        ),
    ]


ASSOCIATION_TYPES: tuple[AssociationType, ...] = tuple(
    [
        *_pair(279, 280, "contacts", "companies", has_primary=True),
        *_pair(1, 2, "contacts", "companies", primary=True),
        *_pair(3, 4, "deals", "contacts"),
        *_pair(341, 342, "deals", "companies", has_primary=True),
        *_pair(5, 6, "deals", "companies", primary=True),
        *_pair(202, 201, "notes", "contacts"),
        *_pair(190, 189, "notes", "companies"),
        *_pair(214, 213, "notes", "deals"),
        *_pair(204, 203, "tasks", "contacts"),
        *_pair(192, 191, "tasks", "companies"),
        *_pair(216, 215, "tasks", "deals"),
        *_pair(608, 609, "leads", "contacts", has_primary=True),
        *_pair(578, 579, "leads", "contacts", primary=True),
        *_pair(610, 611, "leads", "companies", has_primary=True),
        *_pair(580, 581, "leads", "companies", primary=True),
        *_pair(646, 647, "leads", "tasks"),
    ]
)
_BY_ID = {item.type_id: item for item in ASSOCIATION_TYPES}


def association_type(type_id: int) -> AssociationType | None:
    return _BY_ID.get(type_id)


def types_between(from_type: str, to_type: str) -> list[AssociationType]:
    return [item for item in ASSOCIATION_TYPES if item.from_type == from_type and item.to_type == to_type]


def default_type(from_type: str, to_type: str) -> AssociationType | None:
    return next((item for item in types_between(from_type, to_type) if item.default), None)
