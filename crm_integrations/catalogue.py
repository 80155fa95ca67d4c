"""The provider catalogue: the CRMs Lead Routing knows, and whether staff can connect them yet."""

from typing import Any

CATALOGUE = [
    ("hubspot", "HubSpot", True),
    ("monday", "Monday.com", True),
    ("salesforce", "Salesforce", False),
]


def ensure_catalogue(integration_model: Any) -> None:
    """Create or refresh the catalogue rows (used by the data migration and by test setup)."""
    for provider, name, enabled in CATALOGUE:
        integration_model.objects.update_or_create(
            provider=provider, defaults={"name": name, "enabled": enabled}
        )
