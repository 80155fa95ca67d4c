"""HubSpot settings and constants the client and the provider descriptor share (no import cycle)."""

from __future__ import annotations

from django.conf import settings

#: Budgets in ``settings.CRM_RATE_LIMITS``: the general ten-secondly one and the search one (5/s).
RATE_LIMIT_KEY = "hubspot"
SEARCH_RATE_LIMIT_KEY = "hubspot:search"
#: HubSpot announces a spent budget with these headers (``Remaining: 0`` plus the window length).
RATE_LIMIT_REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"
RATE_LIMIT_INTERVAL_MS_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"


def hubspot_settings(environment: str) -> dict[str, str]:
    """``settings.HUBSPOT[environment]``: the OAuth app and base URLs of one environment."""
    return settings.HUBSPOT[environment]


def api_base_url(environment: str) -> str:
    return hubspot_settings(environment)["API_BASE_URL"]
