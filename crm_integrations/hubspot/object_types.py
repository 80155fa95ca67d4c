"""HubSpot's CRM object types as the contract names them, and the association types between them."""

from __future__ import annotations

from dataclasses import dataclass

from crm_integrations.core.errors import InvalidRequest


@dataclass(frozen=True)
class ObjectType:
    """``name`` is both the contract's object type and HubSpot's path name (``/crm/v3/objects/leads``)."""

    name: str
    type_id: str
    #: The "last modified" property incremental search filters and sorts on.
    modified_property: str = "hs_lastmodifieddate"


OBJECT_TYPES: tuple[ObjectType, ...] = (
    ObjectType("leads", "0-136"),
    ObjectType("contacts", "0-1", "lastmodifieddate"),
    ObjectType("companies", "0-2"),
    ObjectType("deals", "0-3"),
    ObjectType("notes", "0-46"),
    ObjectType("tasks", "0-27"),
)
_BY_KEY = {key: item for item in OBJECT_TYPES for key in (item.name, item.type_id)}


def object_type(key: str) -> ObjectType:
    """``"leads"`` or ``"0-136"`` -> the leads type; ``InvalidRequest`` for anything else."""
    found = _BY_KEY.get(key.strip().lower())
    if found is None:
        names = ", ".join(item.name for item in OBJECT_TYPES)
        raise InvalidRequest(
            f"HubSpot has no object type {key!r} here (known: {names}).", code="unknown_object"
        )
    return found


# HUBSPOT_DEFINED association type ids, (from, to) -> (primary or None, unlabeled): HubSpot's
# published defaults ("Associations v4" API; GET /crm/v4/associations/{from}/{to}/labels confirms them per
# account). The first record associated on create gets the primary type: HubSpot's "Leads" guide
# requires a new lead to be created with its contact associated.
_ASSOCIATION_TYPE_IDS: dict[tuple[str, str], tuple[int | None, int]] = {
    ("leads", "contacts"): (578, 608),
    ("leads", "companies"): (580, 610),
    ("contacts", "companies"): (1, 279),
    ("companies", "contacts"): (2, 280),
    ("deals", "contacts"): (None, 3),
    ("contacts", "deals"): (None, 4),
    ("deals", "companies"): (5, 341),
    ("companies", "deals"): (6, 342),
    ("notes", "deals"): (None, 214),
    ("deals", "notes"): (None, 213),
    ("notes", "contacts"): (None, 202),
    ("contacts", "notes"): (None, 201),
    ("notes", "companies"): (None, 190),
    ("companies", "notes"): (None, 189),
    # Task -> record, for follow-up tasks: 204/192/216 are HubSpot's published defaults; HubSpot
    # documents lead -> task as 646 but not task -> lead: 647 is the sandbox's (forward id + 1,
    # as HubSpot's other pairs), to confirm with GET /crm/v4/associations/tasks/leads/labels.
    ("tasks", "contacts"): (None, 204),
    ("tasks", "companies"): (None, 192),
    ("tasks", "deals"): (None, 216),
    ("tasks", "leads"): (None, 647),
}


def association_type_ids(from_type: str, to_type: str) -> tuple[int | None, int]:
    """``(primary, unlabeled)`` HUBSPOT_DEFINED type ids from one object type to another."""
    try:
        return _ASSOCIATION_TYPE_IDS[(object_type(from_type).name, object_type(to_type).name)]
    except KeyError:
        raise InvalidRequest(
            f"No default HubSpot association from {from_type} to {to_type}.", code="unknown_association"
        ) from None


PRIMARY_TYPE_IDS = frozenset(primary for primary, _ in _ASSOCIATION_TYPE_IDS.values() if primary is not None)
