"""Lead-to-account matching: the company a lead belongs to (by association, else by email domain
against the CRM's companies) and its owner, as evidence for the engine's account-owner strategy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crm_integrations.core.client import CrmClient
from field_mapping.models import Lead

from .engine.types import AccountMatch

#: Mailbox providers whose domain says nothing about the lead's company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
        "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me",
        "protonmail.com", "yandex.ru", "mail.ru", "qq.com",
    }
)  # fmt: skip
ACCOUNT_OBJECT = "companies"


def associated_account_ids(raw: Mapping[str, Any]) -> list[str]:
    """Company ids associated with the lead or, one hop away, with its contacts (in that order)."""
    found: list[str] = list((raw.get("associations") or {}).get(ACCOUNT_OBJECT, []))
    for items in (raw.get("associated") or {}).values():
        for item in items:
            found.extend((item.get("associations") or {}).get(ACCOUNT_OBJECT, []))
    return list(dict.fromkeys(str(account_id) for account_id in found))


def email_domain(email: str) -> str:
    domain = email.rpartition("@")[2].strip().lower() if "@" in email else ""
    return "" if domain in FREE_MAIL_DOMAINS else domain


def match_accounts(
    client: CrmClient, leads: Sequence[Lead], rep_by_owner: Mapping[str, str]
) -> dict[int, AccountMatch]:
    """Each lead's account match (leads with none are left out), in at most two batched lookups."""
    if not client.supports_accounts or not leads:
        return {}
    by_lead = {lead.pk: associated_account_ids(lead.raw) for lead in leads}
    accounts = {
        a.id: a for a in _chunked(client.accounts_by_id, [i for ids in by_lead.values() for i in ids])
    }
    matches: dict[int, AccountMatch] = {}
    for lead in leads:
        owned = [accounts[i] for i in by_lead[lead.pk] if i in accounts]
        if owned:
            account = next((a for a in owned if a.owner_id), owned[0])
            matches[lead.pk] = _match(account, f"associated company {account.id}", rep_by_owner)
    domains = {lead.pk: email_domain(lead.email) for lead in leads if lead.pk not in matches}
    wanted = sorted({domain for domain in domains.values() if domain})
    by_domain = client.accounts_by_domain(wanted) if wanted else {}
    for lead_id, domain in domains.items():
        account = by_domain.get(domain)
        if account is not None:
            matches[lead_id] = _match(account, f"email domain {domain} = company domain", rep_by_owner)
    return matches


def _chunked(read: Any, ids: Iterable[str]) -> list[Any]:
    unique = list(dict.fromkeys(ids))
    return read(unique) if unique else []


def _match(account: Any, evidence: str, rep_by_owner: Mapping[str, str]) -> AccountMatch:
    owner = rep_by_owner.get(account.owner_id, "") if account.owner_id else ""
    if account.owner_id and not owner:
        evidence += f"; its owner {account.owner_id} is not one of our reps"
    return AccountMatch(account_id=account.id, name=account.name, owner_rep_id=owner, evidence=evidence)
