"""Owners v3: everyone records can be assigned to, active and deactivated (archived)."""

from __future__ import annotations

from crm_integrations.core.types import CrmOwner

from . import normalize
from .api import HubSpotApi

OWNERS = "/crm/v3/owners"
PAGE_SIZE = 100


def list_owners(api: HubSpotApi) -> list[CrmOwner]:
    """Active owners first, then archived ones (``active=False``); each list paged with ``after``."""
    owners: dict[str, CrmOwner] = {}
    for archived in ("false", "true"):
        for item in api.get_pages(OWNERS, params={"limit": PAGE_SIZE, "archived": archived}):
            owner = normalize.owner({**item, "archived": archived == "true" or item.get("archived", False)})
            owners.setdefault(owner.id, owner)
    return list(owners.values())
