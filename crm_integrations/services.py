"""Writes for organizations and connections (HackSoft style: keyword arguments, one job each)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from crm_integrations.models import Integration, Organization, OrganizationIntegration

CONNECTION_FIELDS = frozenset(
    {
        "status",
        "status_reason",
        "external_account_id",
        "access_token",
        "refresh_token",
        "expires_at",
        "scopes",
        "settings",
    }
)


class IntegrationUnavailable(LookupError):
    """The provider is not in the catalogue, or is switched off there."""


def upsert_organization_integration(
    organization: Organization, provider: str, environment: str, **fields: Any
) -> OrganizationIntegration:
    """Create or update the one connection of ``organization`` to ``provider`` in ``environment``.

    The only way connections are written. Atomic: the row is locked while it changes, so two
    processes writing the same connection queue up and neither loses the other's columns.
    """
    unknown = set(fields) - CONNECTION_FIELDS
    if unknown:
        raise TypeError(f"Unknown connection fields: {', '.join(sorted(unknown))}")
    try:
        integration = Integration.objects.get(provider=provider, enabled=True)
    except Integration.DoesNotExist:
        raise IntegrationUnavailable(f"The '{provider}' integration is not available.") from None

    key = {"organization": organization, "integration": integration, "environment": environment}
    with transaction.atomic():
        connection = OrganizationIntegration.objects.select_for_update().filter(**key).first()
        if connection is None:
            try:
                with transaction.atomic():
                    connection = OrganizationIntegration(**key)
                    _apply(connection, fields)
                    connection.save(force_insert=True)
                    return connection
            except IntegrityError:
                # Another process created it between our read and our insert: update theirs.
                connection = OrganizationIntegration.objects.select_for_update().get(**key)
        _apply(connection, fields)
        connection.save()
    return connection


def _apply(connection: OrganizationIntegration, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.full_clean(validate_unique=False, validate_constraints=False)


def organization_add_member(*, organization: Organization, user: Any, role: str = "member") -> None:
    organization.memberships.update_or_create(user=user, defaults={"role": role})
