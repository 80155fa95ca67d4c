"""The provider catalogue: one ``Integration`` row per registered provider, filled from the registry.

``ensure_catalogue`` runs after every ``migrate`` (the ``post_migrate`` receiver in
crm_integrations/apps.py), from the seeding migration (0002) and from the tests' ``catalogue``
fixture, so a provider added to ``settings.CRM_PROVIDERS`` gets its row on the next deploy with no
migration of its own. A row's ``enabled`` is the superusers' switch (the Integration admin): it is
set when the row is created and switched off for a provider that is not available yet, never
switched back on.
"""

from __future__ import annotations

from typing import Any

from crm_integrations.core import registry


def catalogue_entries() -> list[tuple[str, str, bool]]:
    """``(key, name, available)`` of every registered provider, in ``CRM_PROVIDERS`` order."""
    return [(provider.key, provider.name, provider.available) for provider in registry.providers()]


def ensure_catalogue(integration_model: Any) -> None:
    """Create the missing rows, keep the names in step with the code, switch off unavailable providers."""
    for key, name, available in catalogue_entries():
        row, created = integration_model.objects.get_or_create(
            provider=key, defaults={"name": name, "enabled": available}
        )
        if not created and (row.name != name or (row.enabled and not available)):
            row.name, row.enabled = name, row.enabled and available
            row.save(update_fields=["name", "enabled"])


def __getattr__(name: str) -> Any:
    """``CATALOGUE``, as migration 0002 (history: never edited) imports it to undo its seeding."""
    if name == "CATALOGUE":
        return catalogue_entries()
    raise AttributeError(name)
