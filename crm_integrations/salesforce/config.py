"""Salesforce settings and constants the client, the provider and the outbound endpoint share.

Read from ``settings.SALESFORCE[environment]`` when the deployment's settings module or a test sets it,
else from ``SALESFORCE_*`` environment variables (crm_integrations/salesforce/SETUP.md lists them;
crm_integrations/core/provider_settings.py). The login host is per environment: production's app
signs in at ``https://login.salesforce.com``; an org on a Salesforce sandbox uses
``https://test.salesforce.com``, and either may be the org's My Domain. The "sandbox" environment is
our local Salesforce sandbox (``make run`` starts it). Every API call goes to the ``instance_url`` the
token answer named (kept in ``connection.settings``), never to the login host.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crm_integrations.core.env import env
from crm_integrations.core.provider_settings import provider_setting, public_base_url

KEY = "salesforce"
RATE_LIMIT_KEY = KEY
#: Generated into .env by `make run` (scripts/bootstrap_env.py reads this tuple without importing it).
SANDBOX_SECRET_VARIABLES = ("SALESFORCE_SANDBOX_CLIENT_SECRET",)
#: The REST API version every call pins (Winter '27; crm_integrations/salesforce/SETUP.md).
API_VERSION = "v66.0"
CALLBACK_PATH = "/api/v1/integrations/salesforce/callback"
OUTBOUND_PATH = "/api/v1/integrations/salesforce/outbound"
#: What connect stores in ``connection.settings``: where the API lives and who granted access.
INSTANCE_URL_SETTING = "instance_url"
USER_ID_SETTING = "user_id"

DEFAULTS: dict[str, dict[str, Any]] = {
    "production": {
        "CLIENT_ID": "",
        "CLIENT_SECRET": "",
        "REDIRECT_URI": "",
        "LOGIN_URL": "https://login.salesforce.com",
        "API_VERSION": API_VERSION,
    },
    "sandbox": {
        "CLIENT_ID": "sandbox-salesforce-client-id",
        "CLIENT_SECRET": "sandbox-salesforce-client-secret",
        "REDIRECT_URI": "",
        "LOGIN_URL": "http://127.0.0.1:8102",
        "API_VERSION": API_VERSION,
    },
}


def apps_from_environment() -> dict[str, dict[str, Any]]:
    """Each environment's External Client App from ``SALESFORCE_*`` variables (unset: the defaults)."""
    production, sandbox = DEFAULTS["production"], DEFAULTS["sandbox"]
    return {
        "production": {
            "CLIENT_ID": env.str("SALESFORCE_CLIENT_ID", default=production["CLIENT_ID"]),
            "CLIENT_SECRET": env.str("SALESFORCE_CLIENT_SECRET", default=production["CLIENT_SECRET"]),
            "REDIRECT_URI": env.str("SALESFORCE_REDIRECT_URI", default=""),
            # https://test.salesforce.com for a Salesforce sandbox org, or the org's My Domain URL.
            "LOGIN_URL": env.str("SALESFORCE_LOGIN_URL", default=production["LOGIN_URL"]),
            "API_VERSION": env.str("SALESFORCE_API_VERSION", default=API_VERSION),
        },
        "sandbox": {
            "CLIENT_ID": env.str("SALESFORCE_SANDBOX_CLIENT_ID", default=sandbox["CLIENT_ID"]),
            "CLIENT_SECRET": env.str("SALESFORCE_SANDBOX_CLIENT_SECRET", default=sandbox["CLIENT_SECRET"]),
            "REDIRECT_URI": env.str("SALESFORCE_SANDBOX_REDIRECT_URI", default=""),
            "LOGIN_URL": env.str("SALESFORCE_SANDBOX_URL", default=sandbox["LOGIN_URL"]),
            "API_VERSION": env.str("SALESFORCE_SANDBOX_API_VERSION", default=API_VERSION),
        },
    }


def salesforce_apps() -> dict[str, dict[str, Any]]:
    """``settings.SALESFORCE`` when set (partial is fine: ``salesforce_settings`` merges)."""
    return provider_setting("SALESFORCE", apps_from_environment) or {}


def salesforce_settings(environment: str) -> dict[str, Any]:
    """The app of ``environment`` over the defaults above (unknown environments: production's)."""
    configured = salesforce_apps()
    merged = {**DEFAULTS.get(environment, DEFAULTS["production"]), **(configured.get(environment) or {})}
    if not merged["REDIRECT_URI"]:
        merged["REDIRECT_URI"] = public_base_url() + CALLBACK_PATH
    merged["LOGIN_URL"] = str(merged["LOGIN_URL"]).rstrip("/")
    return merged


def api_version(environment: str) -> str:
    version = str(salesforce_settings(environment)["API_VERSION"] or API_VERSION)
    return version if version.startswith("v") else f"v{version}"


def sandbox_port() -> int:
    """The port of the "sandbox" app's login URL, where ``make run`` starts the local sandbox."""
    return urlsplit(str(salesforce_settings("sandbox")["LOGIN_URL"])).port or 8102


def rate_limits() -> dict[str, Any]:
    """Requests per second per org: Salesforce meters a rolling day, not seconds, so this only
    smooths bursts; the daily allocation is watched through ``Sforce-Limit-Info`` (``limits``)."""
    return {RATE_LIMIT_KEY: env.json("SALESFORCE_RATE_LIMIT", default=[[25, 1]])}


def poll_overlap_seconds() -> int:
    """How far back each poll re-reads ``SystemModstamp`` (a transaction committed late carries an
    earlier stamp than one already read); records seen before are dropped by (Id, SystemModstamp)."""
    return int(
        provider_setting(
            "SALESFORCE_POLL_OVERLAP_SECONDS", lambda: env.int("SALESFORCE_POLL_OVERLAP_SECONDS", default=5)
        )
    )


def poll_page_size() -> int:
    """Leads a poll asks for at a time (``SALESFORCE_POLL_PAGE_SIZE``): a query returns up to 2,000
    records a call, so a page of 2,000 costs one query (crm_integrations/salesforce/feed.py caps it)."""
    return int(
        provider_setting(
            "SALESFORCE_POLL_PAGE_SIZE", lambda: env.int("SALESFORCE_POLL_PAGE_SIZE", default=2000)
        )
    )


def non_urgent_allocation_share() -> float:
    """Share of the org's daily API allocation past which non-urgent work (backfills) stops."""
    return float(
        provider_setting(
            "SALESFORCE_NON_URGENT_SHARE", lambda: env.float("SALESFORCE_NON_URGENT_SHARE", default=0.8)
        )
    )


def outbound_max_bytes() -> int:
    """The largest Outbound Message body taken (100 notifications of a few fields fit in 256 KB)."""
    return int(
        provider_setting(
            "SALESFORCE_OUTBOUND_MAX_BYTES", lambda: env.int("SALESFORCE_OUTBOUND_MAX_BYTES", default=262_144)
        )
    )


#: ``connection.settings`` key: the opportunity stages (``StageName`` values) at which an opportunity
#: becomes a contract for that connection; absent, ``SALESFORCE_CONTRACT_STAGES`` applies.
CONTRACT_STAGES_SETTING = "contract_stages"


def default_contract_stages() -> list[str]:
    """``SALESFORCE_CONTRACT_STAGES`` (comma-separated ``StageName`` values; empty: opportunities
    become contracts only on connections that name their stages)."""
    return list(
        provider_setting(
            "SALESFORCE_CONTRACT_STAGES", lambda: env.list("SALESFORCE_CONTRACT_STAGES", default=[])
        )
    )
