"""HubSpot settings and constants the client and the provider descriptor share (no import cycle).

Every setting is HubSpot's own, read from ``HUBSPOT_*`` environment variables (documented in
crm_integrations/hubspot/SETUP.md, "Settings") unless the deployment's settings module or a test sets
the Django setting of the same name (``settings.HUBSPOT``, ``settings.HUBSPOT_FILE_HOSTS``...;
crm_integrations/core/provider_settings.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crm_integrations.core.env import env
from crm_integrations.core.environments import accepted_secrets
from crm_integrations.core.provider_settings import provider_setting, public_base_url

#: Budgets of the shared rate limiter: the general ten-secondly one and the search one (5/s).
RATE_LIMIT_KEY = "hubspot"
SEARCH_RATE_LIMIT_KEY = "hubspot:search"
#: HubSpot announces a spent budget with these headers (``Remaining: 0`` plus the window length).
RATE_LIMIT_REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"
RATE_LIMIT_INTERVAL_MS_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
#: The local sandbox app's built-in secret (the default below): public, so it never verifies a
#: request outside DEBUG (crm_integrations/core/environments.py).
PUBLIC_SANDBOX_SECRETS = frozenset({"sandbox-client-secret"})
#: Generated into .env by `make run` (scripts/bootstrap_env.py reads this tuple without importing it).
SANDBOX_SECRET_VARIABLES = ("HUBSPOT_SANDBOX_CLIENT_SECRET",)
CALLBACK_PATH = "/api/v1/integrations/hubspot/callback"
DEFAULT_FILE_HOSTS = [
    "hubspotusercontent.com", "hubspotusercontent.net", "hubspotusercontent-na1.net",
    "hubspotusercontent-na2.net", "hubspotusercontent-eu1.net", "hubspotusercontent-ap1.net",
    "hubspot.com", "hubspot.net", "hubapi.com",
]  # fmt: skip


def apps_from_environment() -> dict[str, dict[str, str]]:
    """The app of each environment. "sandbox" is our local HubSpot sandbox by default (``make run``
    starts it); point it at a HubSpot developer test account's app if you prefer."""
    callback = public_base_url() + CALLBACK_PATH
    sandbox_url = env.str("HUBSPOT_SANDBOX_URL", default="http://127.0.0.1:8100")
    return {
        "production": {
            "CLIENT_ID": env.str("HUBSPOT_CLIENT_ID", default=""),
            "CLIENT_SECRET": env.str("HUBSPOT_CLIENT_SECRET", default=""),
            "REDIRECT_URI": env.str("HUBSPOT_REDIRECT_URI", default=callback),
            "AUTH_BASE_URL": env.str("HUBSPOT_AUTH_BASE_URL", default="https://app.hubspot.com"),
            "API_BASE_URL": env.str("HUBSPOT_API_BASE_URL", default="https://api.hubapi.com"),
        },
        "sandbox": {
            "CLIENT_ID": env.str("HUBSPOT_SANDBOX_CLIENT_ID", default="sandbox-client-id"),
            "CLIENT_SECRET": env.str("HUBSPOT_SANDBOX_CLIENT_SECRET", default="sandbox-client-secret"),
            "REDIRECT_URI": env.str("HUBSPOT_SANDBOX_REDIRECT_URI", default=callback),
            "AUTH_BASE_URL": sandbox_url,
            "API_BASE_URL": sandbox_url,
        },
    }


def hubspot_apps() -> dict[str, dict[str, str]]:
    """``settings.HUBSPOT`` when set, else the apps above: ``{environment: {CLIENT_ID, ...}}``."""
    return provider_setting("HUBSPOT", apps_from_environment)


def hubspot_settings(environment: str) -> dict[str, str]:
    """The OAuth app and base URLs of one environment."""
    return hubspot_apps()[environment]


def client_secrets() -> list[tuple[str, str]]:
    """``(environment, client secret)`` of each app whose signature this deployment accepts."""
    configured = ((name, conf.get("CLIENT_SECRET", "")) for name, conf in hubspot_apps().items())
    return accepted_secrets(configured, public=PUBLIC_SANDBOX_SECRETS)


def api_base_url(environment: str) -> str:
    return hubspot_settings(environment)["API_BASE_URL"]


def sandbox_port() -> int:
    """The port of the "sandbox" app's URL, where ``make run`` starts the local sandbox."""
    return urlsplit(api_base_url("sandbox")).port or 8100


def webhook_allow_v1() -> bool:
    """Accept app webhooks signed only with v1 (no timestamp, so a captured request replays forever)."""
    return provider_setting(
        "HUBSPOT_WEBHOOK_ALLOW_V1", lambda: env.bool("HUBSPOT_WEBHOOK_ALLOW_V1", default=False)
    )


def allowed_file_hosts() -> list[str]:
    """Hosts (and their subdomains) signed file URLs may point at (crm_integrations/hubspot/files.py)."""
    return list(
        provider_setting(
            "HUBSPOT_FILE_HOSTS", lambda: env.list("HUBSPOT_FILE_HOSTS", default=DEFAULT_FILE_HOSTS)
        )
    )


def rate_limits() -> dict[str, Any]:
    """The general budget (HubSpot allows 110 per 10 s: a margin kept) and the search one (5 / s)."""
    return {
        RATE_LIMIT_KEY: env.json("HUBSPOT_RATE_LIMIT", default=[[100, 10]]),
        SEARCH_RATE_LIMIT_KEY: env.json("HUBSPOT_SEARCH_RATE_LIMIT", default=[[4, 1]]),
    }
