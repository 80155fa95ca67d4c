"""HubSpot settings and constants the client and the provider descriptor share (no import cycle)."""

from __future__ import annotations

from django.conf import settings

from crm_integrations.core.environments import accepted_secrets

#: Budgets in ``settings.CRM_RATE_LIMITS``: the general ten-secondly one and the search one (5/s).
RATE_LIMIT_KEY = "hubspot"
SEARCH_RATE_LIMIT_KEY = "hubspot:search"
#: HubSpot announces a spent budget with these headers (``Remaining: 0`` plus the window length).
RATE_LIMIT_REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"
RATE_LIMIT_INTERVAL_MS_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
#: The local sandbox app's built-in secret (config/settings/base.py's default): public, so it
#: never verifies a request outside DEBUG (crm_integrations/core/environments.py).
PUBLIC_SANDBOX_SECRETS = frozenset({"sandbox-client-secret"})


def hubspot_settings(environment: str) -> dict[str, str]:
    """``settings.HUBSPOT[environment]``: the OAuth app and base URLs of one environment."""
    return settings.HUBSPOT[environment]


def client_secrets() -> list[tuple[str, str]]:
    """``(environment, client secret)`` of each app whose signature this deployment accepts."""
    configured = ((name, conf.get("CLIENT_SECRET", "")) for name, conf in settings.HUBSPOT.items())
    return accepted_secrets(configured, public=PUBLIC_SANDBOX_SECRETS)


def api_base_url(environment: str) -> str:
    return hubspot_settings(environment)["API_BASE_URL"]
