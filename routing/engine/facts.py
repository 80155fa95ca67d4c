"""Canonical lead values -> :class:`LeadFacts`, whichever CRM (or Lead row) they came from."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .types import LeadFacts, as_decimal

#: The canonical fields a lead always carries in ``LeadFacts.fields`` (None when unknown).
CANONICAL_FIELDS = (
    "source",
    "amount",
    "industry",
    "status",
    "name",
    "email",
    "company",
    "country",
    "lead_type",
)


def email_domain(email: Any) -> str:
    """``"Ada@Northwind.DE"`` -> ``"northwind.de"``; "" when there is no ``@`` or nothing after it."""
    if not email:
        return ""
    _, at, domain = str(email).strip().rpartition("@")
    return domain.strip().lower() if at else ""


def _plain(value: Any) -> Any:
    """Text enums (an ``Outcome`` choice) become plain strings, so facts compare and print alike."""
    if isinstance(value, str) and type(value) is not str:
        return str.__str__(value)
    return value


def lead_facts(
    key: str, values: Mapping[str, Any], *, owner_rep_id: str = "", owner_external_id: str = ""
) -> LeadFacts:
    """Facts from canonical values (``map_record(...).values`` or a Lead's columns): every canonical
    field (None when absent), other values as given, plus ``email_domain``; ``owner`` is left out
    (the owner travels as ``owner_rep_id``/``owner_external_id``). An amount given as text becomes a
    Decimal when it reads as one."""
    fields: dict[str, Any] = {name: None for name in CANONICAL_FIELDS}
    for name, value in values.items():
        if name != "owner":
            fields[str(name)] = _plain(value)
    amount = fields.get("amount")
    if amount is not None and not isinstance(amount, Decimal | bool):
        parsed = as_decimal(amount)
        fields["amount"] = parsed if parsed is not None else amount
    fields["email_domain"] = email_domain(fields.get("email"))
    return LeadFacts(
        key=key, fields=fields, owner_rep_id=owner_rep_id or "", owner_external_id=owner_external_id or ""
    )
