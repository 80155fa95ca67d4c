"""Accounts for lead-to-account matching: HubSpot companies by id (batch read) or by domain (search).

By domain: one search per 50 domains, ``domain IN [d, www.d, ...]`` (100 values per call, the search
API's own bucket), every page read. Values are lower-case, as ``IN`` on a string property needs
(HubSpot's "Search the CRM" guide); ``www.`` forms are asked too, so a company whose domain was typed
with ``www.`` is found. Several companies with one domain: the most recently modified one with an owner
wins; when none has an owner, the most recently modified one (ties: the higher id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from crm_integrations.core.types import CrmAccount, CrmRecord, normalize_domain

from . import normalize
from .api import HubSpotApi
from .objects import ObjectsApi, chunks
from .search import search_all

COMPANIES = "companies"
ACCOUNT_PROPERTIES = ("name", "domain", "hubspot_owner_id", "hs_lastmodifieddate")
#: Values one ``IN`` filter carries per search call (two per domain: with and without ``www.``).
IN_VALUES_PER_CALL = 100
_OLDEST = datetime.min.replace(tzinfo=UTC)


def account(record: CrmRecord) -> CrmAccount:
    properties = record.properties
    return CrmAccount(
        id=record.id,
        name=str(properties.get("name") or ""),
        domain=normalize_domain(properties.get("domain")),
        owner_id=str(properties.get("hubspot_owner_id") or ""),
    )


def _rank(record: CrmRecord) -> tuple[bool, datetime, int]:
    """Owned first, then most recently modified, then the newest id."""
    owned = bool(record.properties.get("hubspot_owner_id"))
    return owned, record.updated_at or _OLDEST, int(record.id) if record.id.isdigit() else 0


class AccountsApi:
    def __init__(self, api: HubSpotApi, objects: ObjectsApi) -> None:
        self.api = api
        self.objects = objects

    def by_id(self, ids: Sequence[str]) -> list[CrmAccount]:
        """Companies in the order of ``ids`` (100 per call); unknown ids are left out."""
        return [account(r) for r in self.objects.batch_read(COMPANIES, ids, properties=ACCOUNT_PROPERTIES)]

    def by_domain(self, domains: Sequence[str]) -> dict[str, CrmAccount]:
        """``{normalised domain: account}`` for the domains some company has."""
        wanted = list(dict.fromkeys(filter(None, map(normalize_domain, domains))))
        best: dict[str, CrmRecord] = {}
        for chunk in chunks(wanted, IN_VALUES_PER_CALL // 2):
            values = [value for domain in chunk for value in (domain, f"www.{domain}")]
            in_filter = {"propertyName": "domain", "operator": "IN", "values": values}
            for item in search_all(
                self.api,
                COMPANIES,
                [[in_filter]],
                sort="hs_lastmodifieddate",
                descending=True,
                properties=ACCOUNT_PROPERTIES,
            ):
                record = normalize.record(COMPANIES, item)
                domain = normalize_domain(record.properties.get("domain"))
                if domain in chunk and (domain not in best or _rank(record) > _rank(best[domain])):
                    best[domain] = record
        return {domain: account(best[domain]) for domain in wanted if domain in best}
