"""Users: everyone items can be assigned to (people columns), active, invited and deactivated."""

from __future__ import annotations

from crm_integrations.core.types import CrmOwner

from . import normalize
from .api import COMPLEXITY_FIELD, MondayApi

#: The largest ``limit`` on ``users`` (monday's schema, copied in devtools/sandboxes/monday/schema/).
PAGE_SIZE = 1000
USER_FIELDS = 6  # id name email status is_deleted teams { id name }
USERS_QUERY = f"""
query Users($limit: Int, $page: Int) {{
  {COMPLEXITY_FIELD}
  users(status: [ACTIVE, INACTIVE, PENDING], limit: $limit, page: $page) {{
    id name email status is_deleted teams {{ id name }}
  }}
}}"""


def list_owners(api: MondayApi, *, page_size: int = PAGE_SIZE) -> list[CrmOwner]:
    """Every user, paged with ``page`` until a page comes back short: ``users`` returns no cursor
    or total, so a short page is the only end marker (monday's GraphQL best-practices notes)."""
    owners: dict[str, CrmOwner] = {}
    page = 1
    while True:
        estimate = api.meter.estimate("users", page_size, USER_FIELDS + 4)
        data = api.query(USERS_QUERY, {"limit": page_size, "page": page}, estimate=estimate)
        rows = data.get("users") or []
        for row in rows:
            owner = normalize.owner(row)
            owners.setdefault(owner.id, owner)
        if len(rows) < page_size:
            return list(owners.values())
        page += 1
