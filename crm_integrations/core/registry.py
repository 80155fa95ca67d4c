"""The provider registry (the seed's CrmIntegrationFactory), filled from ``settings.CRM_PROVIDERS``.

Everything above ``crm_integrations`` asks this module for a client; nothing imports a
provider package directly (checked by import-linter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .client import CrmClient
from .provider import CrmProvider

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


class UnknownProvider(LookupError):
    """No provider with this key is registered (not in settings.CRM_PROVIDERS)."""


_providers: dict[str, CrmProvider] = {}


def register(provider_class: type[CrmProvider]) -> CrmProvider:
    if not (isinstance(provider_class, type) and issubclass(provider_class, CrmProvider)):
        raise ImproperlyConfigured(f"{provider_class!r} is not a CrmProvider subclass.")
    existing = _providers.get(provider_class.key)
    if existing is not None and type(existing) is not provider_class:
        raise ImproperlyConfigured(f"Two providers claim the key '{provider_class.key}'.")
    _providers[provider_class.key] = provider = provider_class()
    return provider


def load_from_settings(paths: list[str] | None = None) -> None:
    """(Re)build the registry from dotted paths; called by the app config at startup."""
    _providers.clear()
    for path in settings.CRM_PROVIDERS if paths is None else paths:
        register(import_string(path))


def get_provider(key: str) -> CrmProvider:
    try:
        return _providers[key]
    except KeyError:
        raise UnknownProvider(f"No CRM provider '{key}' is registered.") from None


def get_client(connection: OrganizationIntegration) -> CrmClient:
    """The client for one organization's connection, whatever its CRM."""
    return get_provider(connection.provider).get_client(connection)


def non_urgent_paused(connection: OrganizationIntegration) -> str | None:
    """Why backfills of this connection must wait, in words (``CrmProvider.non_urgent_paused``); None:
    go on, or a provider no longer registered (nothing to ask)."""
    provider = _providers.get(connection.provider)
    return provider.non_urgent_paused(connection) if provider else None


def registered_keys() -> list[str]:
    return sorted(_providers)


def providers() -> list[CrmProvider]:
    """Every registered provider, in ``settings.CRM_PROVIDERS`` order (the selection screen's order)."""
    return list(_providers.values())
