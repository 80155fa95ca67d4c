"""Reads for organizations and connections."""

from __future__ import annotations

from django.db.models import QuerySet

from crm_integrations.models import Organization, OrganizationIntegration


def secret_is_set(connection: OrganizationIntegration, field_name: str) -> bool:
    """Whether a credential is stored, answered from the envelope without decrypting it."""
    field = connection._meta.get_field(field_name)
    return bool(field.stored_value(connection))  # type: ignore[attr-defined]


def organizations_for_user(user: object) -> QuerySet[Organization]:
    if getattr(user, "is_superuser", False):
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


def connection_for_account(provider: str, external_account_id: str) -> OrganizationIntegration | None:
    """The connection that owns a provider account (a HubSpot portal, a monday account)."""
    return (
        OrganizationIntegration.objects.select_related("organization", "integration")
        .filter(integration__provider=provider, external_account_id=external_account_id)
        .exclude(status="disconnected")
        .first()
    )
