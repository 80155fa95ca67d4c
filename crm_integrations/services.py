"""Writes for organizations and connections (HackSoft style: keyword arguments, one job each)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_integrations.core import oauth, registry
from crm_integrations.core.oauth import TokenSet
from crm_integrations.models import ConnectionStatus, Integration, Organization, OrganizationIntegration

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
        "last_refreshed_at",
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
                connection = OrganizationIntegration.objects.select_for_update().filter(**key).first()
                if connection is None:
                    raise  # another constraint refused the row (an account another organization holds)
        _apply(connection, fields)
        connection.save()
    return connection


def _apply(connection: OrganizationIntegration, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.full_clean(validate_unique=False, validate_constraints=False)


def mark_needs_reauth(connection: OrganizationIntegration, *, reason: str) -> OrganizationIntegration:
    """The grant is gone: stop using the connection until staff reconnect it."""
    return upsert_organization_integration(
        connection.organization,
        connection.provider,
        connection.environment,
        status=ConnectionStatus.NEEDS_REAUTH,
        status_reason=reason,
    )


def organization_add_member(*, organization: Organization, user: Any, role: str = "member") -> None:
    organization.memberships.update_or_create(user=user, defaults={"role": role})


class AccountAlreadyConnected(Exception):
    """The CRM account is already connected to another organization."""

    def __init__(self, integration: Integration, account_id: str) -> None:
        super().__init__(
            f"This {integration.name} account ({account_id}) is already connected to another "
            "organization. Disconnect it there first."
        )


def connect_organization(
    *,
    organization: Organization,
    provider: str,
    environment: str,
    tokens: TokenSet,
    account_id: str,
    scopes: tuple[str, ...],
    settings: Mapping[str, Any] | None = None,
) -> OrganizationIntegration:
    """Store a finished OAuth connection; refuse an account another organization already owns.

    ``settings`` (what the provider keeps from the grant, ``ConnectedAccount.settings``) are merged
    into the connection's own.

    The check below sees the accounts already stored; two organizations claiming the same account
    at the same moment are told apart by the database (``unique_active_account_per_environment``).
    """
    try:
        with transaction.atomic():
            owner = (
                OrganizationIntegration.objects.select_for_update()
                .filter(integration__provider=provider, external_account_id=account_id)
                .exclude(organization=organization)
                .exclude(status=ConnectionStatus.DISCONNECTED)
                .select_related("integration")
                .first()
            )
            if owner is not None:
                raise AccountAlreadyConnected(owner.integration, account_id)
            extra = _merged_settings(organization, provider, environment, settings) if settings else {}
            connection = upsert_organization_integration(
                organization,
                provider,
                environment,
                status=ConnectionStatus.CONNECTED,
                status_reason="",
                external_account_id=account_id,
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_at=tokens.expires_at,
                scopes=list(scopes),
                last_refreshed_at=timezone.now(),
                **extra,
            )
            transaction.on_commit(lambda: start_first_poll(connection.pk))
            return connection
    except IntegrityError:
        raise AccountAlreadyConnected(Integration.objects.get(provider=provider), account_id) from None


def _merged_settings(
    organization: Organization, provider: str, environment: str, settings: Mapping[str, Any]
) -> dict[str, Any]:
    current = (
        OrganizationIntegration.objects.filter(
            organization=organization, integration__provider=provider, environment=environment
        )
        .values_list("settings", flat=True)
        .first()
    )
    return {"settings": {**(current or {}), **settings}}


def start_first_poll(connection_id: object) -> None:
    """Queue a poll of a connection just connected, so its first leads come in now rather than at
    beat's next round (``crm_integrations/intake/tasks.py``: ``poll_connection``; the polls after it
    follow the connection's interval). A provider whose lead object is not known yet is skipped."""
    from crm_integrations.intake.tasks import poll_connection
    from crm_integrations.selectors import lead_object_type

    connection = OrganizationIntegration.objects.select_related("integration").get(pk=connection_id)
    try:
        object_type = lead_object_type(connection)
    except (registry.UnknownProvider, IndexError):
        return
    poll_connection.delay(str(connection.pk), object_type)


class Revocation(enum.Enum):
    """What the CRM said when we gave the connection's access back (``disconnect_connection``)."""

    CONFIRMED = "confirmed"  # the CRM revoked the refresh token
    UNCONFIRMED = "unconfirmed"  # we asked; the CRM did not confirm
    NOT_POSSIBLE = "not_possible"  # no refresh token to revoke (monday's tokens, API tokens)


def disconnect_connection(connection: OrganizationIntegration) -> Revocation:
    """Revoke the refresh token at the CRM (best effort) and wipe the stored tokens either way."""
    if not connection.refresh_token:
        revocation = Revocation.NOT_POSSIBLE
    elif oauth.revoke_best_effort(
        registry.get_provider(connection.provider).oauth_app(connection.environment),
        refresh_token=connection.refresh_token,
    ):
        revocation = Revocation.CONFIRMED
    else:
        revocation = Revocation.UNCONFIRMED
    reasons = {
        Revocation.CONFIRMED: "Disconnected by staff; the CRM revoked our access.",
        Revocation.UNCONFIRMED: "Disconnected; the CRM did not confirm revocation.",
        Revocation.NOT_POSSIBLE: "Disconnected; the token was deleted here (the CRM cannot revoke it).",
    }
    upsert_organization_integration(
        connection.organization,
        connection.provider,
        connection.environment,
        status=ConnectionStatus.DISCONNECTED,
        status_reason=reasons[revocation],
        access_token="",
        refresh_token="",
        expires_at=None,
    )
    return revocation
