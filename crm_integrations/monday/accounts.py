"""Which monday account a token belongs to (``me { account { id } }``): asked when a grant or an API
token is connected (crm_integrations/monday/provider.py, crm_integrations/monday/connect.py)."""

from __future__ import annotations

from crm_integrations.core.errors import AuthRevoked
from crm_integrations.core.http import ProviderHttpClient

from .auth import StaticTokenAuth
from .config import KEY, api_endpoint, api_version
from .errors import parse_monday_error, response_hook

IDENTIFY_QUERY = "query Identify { me { id email account { id name slug } } }"


def identify(environment: str, token: str) -> str:
    """The account id a token belongs to (raises ``AuthRevoked`` when monday does not say)."""
    base_url, endpoint = api_endpoint(environment)
    http = ProviderHttpClient(
        KEY,
        "oauth",
        base_url,
        auth=StaticTokenAuth(token),
        error_parser=parse_monday_error,
        response_hook=response_hook(lambda: False),
    )
    try:
        response = http.request(
            "POST",
            endpoint,
            json={"query": IDENTIFY_QUERY, "variables": {}},
            headers={"API-Version": api_version(environment)},
            idempotent=True,
        )
    finally:
        http.close()
    account = (((response.json().get("data") or {}).get("me") or {}).get("account")) or {}
    if not account.get("id"):
        raise AuthRevoked("monday did not say which account this token belongs to.")
    return str(account["id"])
