"""monday as a provider: its OAuth app per environment, the account a grant belongs to, webhooks, client.

OAuth (reference §2): the authorize URL is the same for both flows. The **legacy** flow
(``/oauth2/token``) returns an access token that **never expires** and **no refresh token**; the new
**OAuth 2.1** flow (``/oauth_ms/oauth/token``, opt-in per app version) returns an expiring JWT access
token (no ``expires_in``: read its ``exp``) and a refresh token that **rotates on every refresh**, and
has a revoke endpoint. ``settings.MONDAY[environment]["OAUTH_FLOW"]`` picks one (default legacy).
"""

from __future__ import annotations

from crm_integrations.core.errors import AuthRevoked
from crm_integrations.core.http import ProviderHttpClient
from crm_integrations.core.oauth import OAuthApp, TokenSet
from crm_integrations.core.provider import ConnectedAccount, CrmProvider
from crm_integrations.core.webhooks import InboundEvent, SignatureCheck

from . import webhooks
from .auth import StaticTokenAuth
from .client import MondayClient
from .config import OAUTH21_FLOW, api_endpoint, api_version, monday_settings, signing_secrets
from .errors import parse_monday_error, response_hook

#: Lead intake and owner write-back (reference §2), plus who connected and the account.
SCOPES = (
    "me:read",
    "account:read",
    "boards:read",
    "boards:write",
    "users:read",
    "webhooks:read",
    "webhooks:write",
)
IDENTIFY_QUERY = "query Identify { me { id email account { id name slug } } }"


class MondayProvider(CrmProvider):
    key = "monday"
    name = "Monday.com"
    client_class = MondayClient
    lead_object_types = ("items",)

    def oauth_app(self, environment: str) -> OAuthApp:
        conf = monday_settings(environment)
        auth = str(conf["AUTH_URL"]).rstrip("/")
        oauth21 = conf.get("OAUTH_FLOW") == OAUTH21_FLOW
        return OAuthApp(
            client_id=conf["CLIENT_ID"],
            client_secret=conf["CLIENT_SECRET"],
            authorize_url=f"{auth}/oauth2/authorize",
            token_url=f"{auth}/oauth_ms/oauth/token" if oauth21 else f"{auth}/oauth2/token",
            revoke_url=f"{auth}/oauth_ms/oauth/revoke" if oauth21 else "",
            redirect_uri=conf["REDIRECT_URI"],
            scopes=SCOPES,
        )

    def identify_account(self, environment: str, tokens: TokenSet) -> ConnectedAccount:
        """The monday account of a fresh token: ``me { account { id } }``."""
        return ConnectedAccount(account_id=identify(environment, tokens.access_token), scopes=tokens.scopes)

    def verify_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        lowered = {key.lower(): value for key, value in headers.items()}
        check = webhooks.verify_jwt(lowered.get("authorization"), signing_secrets(), audience=url)
        detail = f"{check.detail} accountId={check.account_id}" if check.valid else check.detail
        return SignatureCheck(check.verdict, detail)

    def parse_webhook_events(self, body: bytes) -> list[InboundEvent]:
        return [event.to_inbound() for event in webhooks.parse_payload(body)]


def identify(environment: str, token: str) -> str:
    """The account id a token belongs to (raises ``AuthRevoked`` when monday does not say)."""
    base_url, endpoint = api_endpoint(environment)
    http = ProviderHttpClient(
        "monday",
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
