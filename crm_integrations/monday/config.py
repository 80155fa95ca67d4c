"""monday settings and constants the client, the provider and the webhook helpers share (no import cycle).

Read from ``settings.MONDAY[environment]`` when the deployment's settings module or a test sets it, else
from the ``MONDAY_*`` environment variables (crm_integrations/monday/SETUP.md lists them;
crm_integrations/core/provider_settings.py); every key has a default, so the provider works with no
settings at all against the real monday (production) or a local sandbox on port 8101 (sandbox).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crm_integrations.core.env import env
from crm_integrations.core.environments import accepted_secrets
from crm_integrations.core.provider_settings import provider_setting, public_base_url

#: Budget of the shared rate limiter, in complexity points: monday meters by query complexity, not
#: call count (monday's "Rate limits" doc; crm_integrations/monday/complexity.py prices queries).
#: The provider's key (``MondayProvider.key``, the URL segment and the rate budget's name).
KEY = "monday"
RATE_LIMIT_KEY = KEY
#: Generated into .env by `make run` (scripts/bootstrap_env.py reads this tuple without importing it).
SANDBOX_SECRET_VARIABLES = ("MONDAY_SANDBOX_SIGNING_SECRET",)
#: The API version every request pins: without the header monday answers with whatever version is
#: "current" that quarter (monday's "API versioning" doc recommends always sending one).
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


def apps_from_environment() -> dict[str, dict[str, Any]]:
    """The app of each environment from ``MONDAY_*`` variables; unset ones keep the defaults above.
    "sandbox" is our local monday sandbox (``make run`` starts it on the port of ``MONDAY_SANDBOX_URL``)."""
    production, sandbox = DEFAULTS["production"], DEFAULTS["sandbox"]
    sandbox_url = env.str("MONDAY_SANDBOX_URL", default="http://127.0.0.1:8101")
    return {
        "production": {
            "CLIENT_ID": env.str("MONDAY_CLIENT_ID", default=production["CLIENT_ID"]),
            "CLIENT_SECRET": env.str("MONDAY_CLIENT_SECRET", default=production["CLIENT_SECRET"]),
            "SIGNING_SECRET": env.str("MONDAY_SIGNING_SECRET", default=production["SIGNING_SECRET"]),
            "REDIRECT_URI": env.str("MONDAY_REDIRECT_URI", default=""),
            "AUTH_URL": env.str("MONDAY_AUTH_URL", default=production["AUTH_URL"]),
            "API_URL": env.str("MONDAY_API_URL", default=production["API_URL"]),
            "OAUTH_FLOW": env.str("MONDAY_OAUTH_FLOW", default=LEGACY_FLOW),
        },
        "sandbox": {
            "CLIENT_ID": env.str("MONDAY_SANDBOX_CLIENT_ID", default=sandbox["CLIENT_ID"]),
            "CLIENT_SECRET": env.str("MONDAY_SANDBOX_CLIENT_SECRET", default=sandbox["CLIENT_SECRET"]),
            # The sandbox's public default secret counts only with DEBUG on (signing_secrets below).
            "SIGNING_SECRET": env.str("MONDAY_SANDBOX_SIGNING_SECRET", default=sandbox["SIGNING_SECRET"]),
            "REDIRECT_URI": env.str("MONDAY_SANDBOX_REDIRECT_URI", default=""),
            "AUTH_URL": sandbox_url,
            "API_URL": sandbox_url + "/v2",
            "OAUTH_FLOW": env.str("MONDAY_SANDBOX_OAUTH_FLOW", default=LEGACY_FLOW),
        },
    }


def monday_apps() -> dict[str, dict[str, Any]]:
    """``settings.MONDAY`` when set (partial is fine: ``monday_settings`` merges), else the environment's."""
    return provider_setting("MONDAY", apps_from_environment) or {}


def monday_settings(environment: str) -> dict[str, Any]:
    """The app of ``environment`` over the defaults above (unknown environments: production's)."""
    configured = monday_apps()
    merged = {**DEFAULTS.get(environment, DEFAULTS["production"]), **(configured.get(environment) or {})}
    if not merged["REDIRECT_URI"]:
        merged["REDIRECT_URI"] = public_base_url() + CALLBACK_PATH
    return merged


def signing_secrets() -> list[tuple[str, str]]:
    """``(environment, signing secret)`` of each app whose webhooks this deployment accepts.

    The sandbox's built-in default secret is public (it is in this file), so it only counts with
    ``DEBUG`` on, and the sandbox environment only where it is enabled
    (crm_integrations/core/environments.py); anywhere else a webhook signed with it would be
    accepted from anyone.
    """
    environments = sorted(set(DEFAULTS) | set(monday_apps()))
    found = ((environment, monday_settings(environment)["SIGNING_SECRET"]) for environment in environments)
    return accepted_secrets(found, public={DEFAULTS["sandbox"]["SIGNING_SECRET"]})


def api_endpoint(environment: str) -> tuple[str, str]:
    """``("https://api.monday.com", "/v2")``: the HTTP layer's base URL and the endpoint template."""
    parts = urlsplit(monday_settings(environment)["API_URL"])
    return f"{parts.scheme}://{parts.netloc}", parts.path or "/v2"


def api_version(environment: str) -> str:
    return str(monday_settings(environment)["API_VERSION"] or API_VERSION)


def sandbox_port() -> int:
    """The port of the "sandbox" app's URL, where ``make run`` starts the local sandbox."""
    return urlsplit(str(monday_settings("sandbox")["AUTH_URL"])).port or 8101


def rate_limits() -> dict[str, Any]:
    """Complexity points per minute (monday's budget per account)."""
    return {RATE_LIMIT_KEY: env.json("MONDAY_RATE_LIMIT", default=[[5_000_000, 60]])}
