"""Accounts by id and by email domain / website, for account matching.

Salesforce keeps an account's domain only in ``Website`` (``https://www.acme.com/``, ``acme.com``...),
so a domain is looked up with ``Website LIKE '%acme.com%'`` (50 domains a query) and the answers are
checked exactly with ``normalize_domain``; several accounts with one domain: the most recently modified
wins (every Salesforce account has an owner).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crm_integrations.core.types import CrmAccount, normalize_domain

from . import soql
from .api import SalesforceApi
from .objects import BATCH_LIMIT, chunks, unique

FIELDS = "Id, Name, Website, OwnerId, LastModifiedDate"
DOMAINS_PER_QUERY = 50


def _account(body: Mapping[str, Any]) -> CrmAccount:
    return CrmAccount(
        id=str(body["Id"]),
        name=str(body.get("Name") or ""),
        domain=normalize_domain(body.get("Website")),
        owner_id=str(body.get("OwnerId") or ""),
    )


class AccountsApi:
    def __init__(self, api: SalesforceApi) -> None:
        self.api = api

    def by_id(self, ids: Sequence[str]) -> list[CrmAccount]:
        wanted = [record_id for record_id in unique(ids) if soql.is_id(record_id)]
        found: dict[str, CrmAccount] = {}
        for chunk in chunks(wanted, BATCH_LIMIT):
            query = soql.select(FIELDS, "Account", f"Id IN {soql.id_list(chunk)}")
            found.update({account.id: account for account in map(_account, self.api.query(query))})
        return [found[record_id] for record_id in wanted if record_id in found]

    def by_domain(self, domains: Sequence[str]) -> dict[str, CrmAccount]:
        wanted = [domain for domain in unique([normalize_domain(item) for item in domains]) if "." in domain]
        found: dict[str, CrmAccount] = {}
        for chunk in chunks(wanted, DOMAINS_PER_QUERY):
            likes = " OR ".join(
                f"Website LIKE {soql.quote('%' + soql.like_fragment(d) + '%')}" for d in chunk
            )
            query = soql.select(FIELDS, "Account", likes, " ORDER BY LastModifiedDate DESC, Id")
            for body in self.api.query(query):
                account = _account(body)
                if account.domain in chunk:
                    found.setdefault(account.domain, account)
        return found
