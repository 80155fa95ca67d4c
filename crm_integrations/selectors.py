"""Reads for organizations and connections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.environments import enabled_environment_choices
from crm_integrations.core.provider import CrmProvider, ProviderAction
from crm_integrations.core.webhooks import ACCOUNT_PARAMETER, ORGANIZATION_PARAMETER
from crm_integrations.models import (
    ConnectionStatus,
    Integration,
    Organization,
    OrganizationIntegration,
    SyncCursor,
)


def secret_is_set(connection: OrganizationIntegration, field_name: str) -> bool:
    """Whether a credential is stored, answered from the envelope without decrypting it."""
    field = connection._meta.get_field(field_name)
    return bool(field.stored_value(connection))  # type: ignore[attr-defined]


def organizations_for_user(user: object, *, role: str | None = None) -> QuerySet[Organization]:
    """The organizations ``user`` is a member of (with ``role``: only those where the membership has
    that role, e.g. ``Membership.Role.ADMIN``); a superuser: every organization; an anonymous or
    inactive user: none.

    The one "organizations of this user" selector: the contracts API (contracts/selectors.py), the
    staff pages (crm_integrations/views/context.py), the mapping wizard and the admin's scoping
    (crm_integrations/admin_scoping.py) all read it.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Organization.objects.none()
    if getattr(user, "is_superuser", False):
        return Organization.objects.all()
    memberships = {"memberships__user": user, **({"memberships__role": role} if role else {})}
    return Organization.objects.filter(**memberships)


def connection_for_account(
    provider: str, external_account_id: str, *, environment: str = ""
) -> OrganizationIntegration | None:
    """The connection that owns a provider account (a HubSpot portal, a monday account).

    ``environment``: the app environment whose secret verified the request, when known; a request
    signed by the sandbox app then never reaches a production connection of the same account id.
    """
    rows = OrganizationIntegration.objects.select_related("organization", "integration").filter(
        integration__provider=provider, external_account_id=external_account_id
    )
    if environment:
        rows = rows.filter(environment=environment)
    return rows.exclude(status="disconnected").first()


def workflow_webhook_capable(connection: OrganizationIntegration) -> bool:
    provider = _registered(connection.provider)
    return provider is not None and provider.workflow_webhooks


def workflow_setup_template(connection: OrganizationIntegration) -> str:
    """The provider's template saying where a workflow secret goes in the CRM ("" when it has none)."""
    provider = _registered(connection.provider)
    return provider.workflow_setup_template if provider is not None else ""


def catalogue_names() -> list[str]:
    """The CRMs of the catalogue by name, in the selection screen's order."""
    return list(Integration.objects.order_by("pk").values_list("name", flat=True))


def workflow_webhook_url(connection: OrganizationIntegration) -> str:
    """The URL to set in the CRM's workflow action: it names our organization and the account."""
    path = reverse("crm_integrations:workflow_webhook", args=[connection.provider])
    parameters = {ORGANIZATION_PARAMETER: connection.organization_id}
    query = urlencode({**parameters, ACCOUNT_PARAMETER: connection.external_account_id})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}?{query}"


@dataclass(frozen=True)
class EnvironmentChoice:
    environment: str
    label: str
    configured: bool
    status: str  # the existing connection's status, or "" if never connected
    actions: tuple[ProviderAction, ...] = ()  # other ways to connect (an API token form...)


@dataclass(frozen=True)
class CrmChoice:
    provider: str
    name: str
    available: bool
    environments: tuple[EnvironmentChoice, ...]


def crm_choices(organization: Organization) -> list[CrmChoice]:
    """The selection screen: every CRM in the catalogue, connectable when its provider exists."""
    statuses = {
        (row.integration.provider, row.environment): row.status
        for row in OrganizationIntegration.objects.filter(organization=organization).select_related(
            "integration"
        )
    }
    choices = []
    for integration in Integration.objects.order_by("pk"):
        provider = _registered(integration.provider)
        environments = tuple(
            EnvironmentChoice(
                environment=value,
                label=label,
                configured=provider is not None and _oauth_configured(provider, value),
                status=statuses.get((integration.provider, value), ""),
                actions=tuple(provider.connect_actions(value)) if provider is not None else (),
            )
            for value, label in enabled_environment_choices()
        )
        choices.append(
            CrmChoice(
                provider=integration.provider,
                name=integration.name,
                available=integration.enabled and provider is not None and provider.available,
                environments=environments,
            )
        )
    return choices


def connection_rows(organization: Organization) -> list[tuple[OrganizationIntegration, list[ProviderAction]]]:
    """The organization's connections, each with the setup steps its provider still offers."""
    rows = OrganizationIntegration.objects.filter(organization=organization).select_related("integration")
    return [(row, _setup_actions(row)) for row in rows]


def _setup_actions(connection: OrganizationIntegration) -> list[ProviderAction]:
    provider = _registered(connection.provider)
    return provider.setup_actions(connection) if provider is not None else []


def _registered(provider: str) -> CrmProvider | None:
    try:
        return registry.get_provider(provider)
    except registry.UnknownProvider:
        return None


def _oauth_configured(provider: CrmProvider, environment: str) -> bool:
    try:
        return provider.oauth_app(environment).configured
    except NotImplementedError:
        return False


def connections_due_for_refresh(*, within: timedelta) -> list[object]:
    """Ids of connected OAuth connections whose access token expires within ``within``."""
    return list(
        oauth_connections().filter(expires_at__lte=timezone.now() + within).values_list("pk", flat=True)
    )


def connections_idle_since(*, since: timedelta) -> list[object]:
    """Ids of connected OAuth connections not refreshed for ``since`` (for the daily keep-alive)."""
    cutoff = timezone.now() - since
    return list(
        oauth_connections()
        .filter(Q(last_refreshed_at__isnull=True) | Q(last_refreshed_at__lt=cutoff))
        .values_list("pk", flat=True)
    )


def oauth_connections() -> QuerySet[OrganizationIntegration]:
    return OrganizationIntegration.objects.filter(status=ConnectionStatus.CONNECTED).exclude(refresh_token="")


def lead_object_type(connection: OrganizationIntegration) -> str:
    """The object leads come from: the connection's setting, else the provider's first choice."""
    configured = (connection.settings or {}).get("lead_object_type")
    return configured or registry.get_provider(connection.provider).lead_object_types[0]


def connections_due_for_poll(now: datetime | None = None) -> list[tuple[object, str]]:
    """(connection id, object type) pairs whose polling interval has passed."""
    now = now or timezone.now()
    due = []
    for connection in OrganizationIntegration.objects.filter(
        status=ConnectionStatus.CONNECTED
    ).select_related("integration"):
        try:
            object_type = lead_object_type(connection)
        except (registry.UnknownProvider, IndexError):
            continue
        cursor, _ = SyncCursor.objects.get_or_create(connection=connection, object_type=object_type)
        interval = timedelta(minutes=cursor.poll_every_minutes)
        if cursor.poll_every_minutes and (
            cursor.last_polled_at is None or cursor.last_polled_at + interval <= now
        ):
            due.append((connection.pk, object_type))
    return due


def disconnect_effects(connection: OrganizationIntegration) -> list[str]:
    """What stops when ``connection`` is disconnected, in the admin's words: the confirmation page
    (crm_integrations/views/integrations.py ``disconnect``) lists these before anything happens."""
    name = connection.integration.name
    effects = [
        f"Webhooks from {name} are no longer taken in: new leads and changes it sends are refused.",
        f"Polling stops: {name} is no longer read for new leads.",
        f"Owners are no longer written back to {name}, including those of leads routed but not yet written.",
    ]
    if workflow_webhook_capable(connection):
        effects.append(f"Deals moved to a stage in {name} no longer become contracts or update them.")
    if secret_is_set(connection, "refresh_token"):
        effects.append(f"{name} is asked to revoke our access, and the tokens stored here are deleted.")
    else:
        effects.append(
            f"The token stored here is deleted, but {name} offers no way to revoke it from outside: "
            f"uninstall the app (or regenerate the personal API token) in {name} as well."
        )
    return effects
