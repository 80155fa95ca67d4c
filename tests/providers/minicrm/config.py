"""Mini CRM's settings: its key, its webhook signing secret per app environment, its rate budget.

Read as the real providers read theirs (crm_integrations/core/provider_settings.py):
``settings.MINICRM`` (``{environment: {"SIGNING_SECRET": ...}}``) when a test sets it, else the
``MINICRM_*`` environment variables. config/settings/ holds nothing of it but its ``CRM_PROVIDERS`` line.
"""

from __future__ import annotations

from typing import Any

from crm_integrations.core.env import env
from crm_integrations.core.environments import accepted_secrets
from crm_integrations.core.provider_settings import provider_setting

KEY = "minicrm"
NAME = "Mini CRM"
#: The budget key of its calls (``CrmProvider.rate_limits``; crm_integrations/core/http/budgets.py).
RATE_LIMIT_KEY = KEY
#: The sandbox app's default secret: public (it is in this file), so it counts only with DEBUG on.
PUBLIC_SANDBOX_SECRET = "minicrm-sandbox-signing-secret-public-default"
DEFAULTS: dict[str, dict[str, Any]] = {
    "production": {"SIGNING_SECRET": ""},
    "sandbox": {"SIGNING_SECRET": PUBLIC_SANDBOX_SECRET},
}


def apps_from_environment() -> dict[str, dict[str, Any]]:
    return {
        "production": {"SIGNING_SECRET": env.str("MINICRM_SIGNING_SECRET", default="")},
        "sandbox": {
            "SIGNING_SECRET": env.str("MINICRM_SANDBOX_SIGNING_SECRET", default=PUBLIC_SANDBOX_SECRET)
        },
    }


def app_settings(environment: str) -> dict[str, Any]:
    """The app of ``environment`` over the defaults (``settings.MINICRM`` may set part of it)."""
    configured = provider_setting("MINICRM", apps_from_environment) or {}
    return {**DEFAULTS.get(environment, DEFAULTS["production"]), **(configured.get(environment) or {})}


def signing_secrets() -> list[tuple[str, str]]:
    """``(environment, secret)`` of each app whose webhooks this deployment accepts."""
    found = ((environment, app_settings(environment)["SIGNING_SECRET"]) for environment in DEFAULTS)
    return accepted_secrets(found, public={PUBLIC_SANDBOX_SECRET})


def rate_limits() -> dict[str, list[list[int]]]:
    """Calls per window per account (``MINICRM_RATE_LIMIT`` changes it)."""
    return {RATE_LIMIT_KEY: env.json("MINICRM_RATE_LIMIT", default=[[100, 10]])}
