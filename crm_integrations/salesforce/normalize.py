"""Salesforce JSON -> the contract's dataclasses; nothing Salesforce-shaped leaks out.

A query record is ``{"attributes": {...}, "Id": ..., "Owner": {"attributes": ..., "Type": "Queue"}}``:
relationship fields are flattened into dotted names (``Owner.Type``), as the mapping wizard names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_integrations.core.datetimes import parse_moment
from crm_integrations.core.types import CrmOwner, CrmRecord

#: The contract's object type names and Salesforce's sObjects behind them.
SOBJECTS = {
    "leads": "Lead",
    "accounts": "Account",
    "opportunities": "Opportunity",
    "deals": "Opportunity",  # the contract workflow's name for them (crm_integrations/salesforce/deals.py)
    "tasks": "Task",
    "users": "User",
}
LEADS = "leads"
#: What every record read carries besides the fields asked for (the change feed orders on them).
BASE_FIELDS = ("Id", "SystemModstamp")
#: What every lead read carries: its owner and whether that owner is a queue, its conversion, who
#: changed it last (a poll skips our own owner writes: ``SalesforceClient.changed_by_us``) and when it
#: was created in Salesforce (the lead's ``crm_created_at``, field_mapping/models.py).
LEAD_FIELDS = ("OwnerId", "Owner.Type", "IsConverted", "Status", "LastModifiedById", "CreatedDate")
QUEUE = "Queue"


def sobject(kind: str) -> str:
    from crm_integrations.core.errors import InvalidRequest

    try:
        return SOBJECTS[kind]
    except KeyError:
        raise InvalidRequest(
            f"Salesforce connections have no '{kind}' records.", code="object_type"
        ) from None


def base_fields(kind: str) -> tuple[str, ...]:
    return (*BASE_FIELDS, *LEAD_FIELDS) if kind == LEADS else BASE_FIELDS


def flatten(body: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"Owner": {"Type": "Queue"}}`` -> ``{"Owner.Type": "Queue"}``; ``attributes`` dropped."""
    flat: dict[str, Any] = {}
    for name, value in body.items():
        if name == "attributes":
            continue
        if isinstance(value, Mapping) and "attributes" in value:
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def record(kind: str, body: Mapping[str, Any]) -> CrmRecord:
    properties = flatten(body)
    return CrmRecord(
        object_type=kind,
        id=str(properties.get("Id") or ""),
        properties=properties,
        updated_at=parse_moment(properties.get("SystemModstamp") or properties.get("LastModifiedDate")),
        created_at=parse_moment(properties.get("CreatedDate"), epoch_ms=False),
    )


def user(body: Mapping[str, Any]) -> CrmOwner:
    return CrmOwner(
        id=str(body["Id"]),
        email=str(body.get("Email") or ""),
        first_name=str(body.get("FirstName") or ""),
        last_name=str(body.get("LastName") or body.get("Name") or ""),
        active=bool(body.get("IsActive", True)),
        user_id=str(body.get("Username") or "") or None,
    )


def queue(body: Mapping[str, Any]) -> CrmOwner:
    """A queue (``Group`` of type Queue): a placeholder owner, never a rep."""
    return CrmOwner(
        id=str(body["Id"]),
        email=str(body.get("Email") or ""),
        last_name=str(body.get("Name") or body.get("DeveloperName") or ""),
        is_queue=True,
    )
