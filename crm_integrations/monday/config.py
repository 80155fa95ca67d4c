"""monday settings and constants the client, the provider and the webhook helpers share (no import cycle).

Read from ``settings.MONDAY[environment]`` when present; every key has a default, so the provider works
with no settings at all against the real monday (production) or a local sandbox on port 8101 (sandbox).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from crm_integrations.core.environments import accepted_secrets

#: Budget in ``settings.CRM_RATE_LIMITS``, in complexity points (reference §6).
RATE_LIMIT_KEY = "monday"
#: The API version every request pins (reference §1: "always send an explicit version").
API_VERSION = "2026-10"
CALLBACK_PATH = "/api/v1/integrations/monday/callback"
LEGACY_FLOW = "legacy"
OAUTH21_FLOW = "2.1"

DEFAULTS: dict[str, dict[str, Any]] = {
    "production": {
        "CLIENT_ID": "",
        "CLIENT_SECRET": "",
        "SIGNING_SECRET": "",
        "REDIRECT_URI": "",
        "AUTH_URL": "https://auth.monday.com",
        "API_URL": "https://api.monday.com/v2",
        "API_VERSION": API_VERSION,
        "OAUTH_FLOW": LEGACY_FLOW,
    },
    "sandbox": {
        "CLIENT_ID": "sandbox-monday-client-id",
        "CLIENT_SECRET": "sandbox-monday-client-secret",
        "SIGNING_SECRET": "sandbox-monday-signing-secret-public-default",
        "REDIRECT_URI": "",
        "AUTH_URL": "http://127.0.0.1:8101",
        "API_URL": "http://127.0.0.1:8101/v2",
        "API_VERSION": API_VERSION,
        "OAUTH_FLOW": LEGACY_FLOW,
    },
}


def monday_settings(environment: str) -> dict[str, Any]:
    """``settings.MONDAY[environment]`` over the defaults above (unknown environments: production's)."""
    configured = getattr(settings, "MONDAY", {}) or {}
    merged = {**DEFAULTS.get(environment, DEFAULTS["production"]), **(configured.get(environment) or {})}
    if not merged["REDIRECT_URI"]:
        merged["REDIRECT_URI"] = getattr(settings, "PUBLIC_BASE_URL", "http://127.0.0.1:8000") + CALLBACK_PATH
    return merged


def signing_secrets() -> list[tuple[str, str]]:
    """``(environment, signing secret)`` of each app whose webhooks this deployment accepts.

    The sandbox's built-in default secret is public (it is in this file), so it only counts with
    ``DEBUG`` on, and the sandbox environment only where it is enabled
    (crm_integrations/core/environments.py); anywhere else a webhook signed with it would be
    accepted from anyone.
    """
    configured = getattr(settings, "MONDAY", {}) or {}
    environments = sorted(set(DEFAULTS) | set(configured))
    found = ((environment, monday_settings(environment)["SIGNING_SECRET"]) for environment in environments)
    return accepted_secrets(found, public={DEFAULTS["sandbox"]["SIGNING_SECRET"]})


def api_endpoint(environment: str) -> tuple[str, str]:
    """``("https://api.monday.com", "/v2")``: the HTTP layer's base URL and the endpoint template."""
    parts = urlsplit(monday_settings(environment)["API_URL"])
    return f"{parts.scheme}://{parts.netloc}", parts.path or "/v2"


def api_version(environment: str) -> str:
    return str(monday_settings(environment)["API_VERSION"] or API_VERSION)
