"""Reads for contracts: the contracts a user may see, filtered as the API and staff pages ask."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from crm_integrations.selectors import organizations_for_user

from .models import Contract


def contracts_for_user(
    user: Any,
    *,
    negotiation_status: str | None = None,
    organization: int | None = None,
    sync_state: str | None = None,
    q: str | None = None,
) -> QuerySet[Contract]:
    """The contracts of the organizations ``user`` is a member of (a superuser: every contract),
    newest first, with their files prefetched; nobody's for an anonymous or inactive user.

    The filters narrow that set and never widen it: ``organization`` naming an organization the user
    is not a member of gives no contracts. ``q`` matches title, counterparty or the deal's id
    (case-insensitive substring).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Contract.objects.none()
    contracts = Contract.objects.all()
    if not user.is_superuser:
        contracts = contracts.filter(organization__in=organizations_for_user(user))
    if negotiation_status:
        contracts = contracts.filter(negotiation_status=negotiation_status)
    if organization is not None:
        contracts = contracts.filter(organization_id=organization)
    if sync_state:
        contracts = contracts.filter(sync_state=sync_state)
    if q:
        contracts = contracts.filter(
            Q(title__icontains=q) | Q(counterparty__icontains=q) | Q(external_id__icontains=q)
        )
    return contracts.prefetch_related("files").order_by("-created_at", "-pk")
