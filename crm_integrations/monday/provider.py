"""monday as a provider: its OAuth app per environment, the account a grant belongs to, webhooks, client.

OAuth (monday's "OAuth" and "Migrating to the new OAuth flow" docs): the authorize URL is the same for
both flows. The **legacy** flow (``/oauth2/token``) returns an access token that **never expires** and
**no refresh token**; the new **OAuth 2.1** flow (``/oauth_ms/oauth/token``, opt-in per app version)
returns an expiring JWT access token (no ``expires_in``: read its ``exp``) and a refresh token that
**rotates on every refresh**, and has a revoke endpoint. ``settings.MONDAY[environment]["OAUTH_FLOW"]``
picks one (default legacy).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.urls import reverse

from crm_integrations.core.oauth import OAuthApp, TokenSet
from crm_integrations.core.provider import ConnectedAccount, CrmProvider, ProviderAction
from crm_integrations.core.webhooks import InboundEvent, SignatureCheck

from . import config, webhooks
from .accounts import identify
from .client import BOARD_SETTING, MondayClient
from .config import OAUTH21_FLOW, monday_settings, signing_secrets
from .mapping import ITEMS_DEFAULT

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

#: Lead intake and owner write-back (boards, users, webhooks, as monday's "OAuth" scope table names
#: them), plus who connected and the account.
SCOPES = (
    "me:read",
    "account:read",
    "boards:read",
    "boards:write",
    "users:read",
    "webhooks:read",
    "webhooks:write",
)


class MondayProvider(CrmProvider):
    key = config.KEY
    name = "Monday.com"
    client_class = MondayClient
    lead_object_types = ("items",)
    default_mappings = (ITEMS_DEFAULT,)
    sandbox = "devtools.sandboxes.monday"
    budget_label = "complexity points per minute"

    def rate_limits(self) -> dict[str, list[list[int]]]:
        return config.rate_limits()

    def sandbox_arguments(self, *, web_url: str, state_dir: Path) -> list[str]:
        """A board of 50 items, kept across runs (items, tokens, webhook subscriptions: a connection made
        before a restart keeps working); webhooks signed with the "sandbox" app's signing secret."""
        return [
            *("--port", str(config.sandbox_port()), "--seed-items", "50"),
            *("--state-file", str(state_dir / "monday-sandbox.json")),
            f"--signing-secret={monday_settings('sandbox')['SIGNING_SECRET']}",  # "=": may start with "-"
        ]

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
        accepted = signing_secrets()
        secrets = [secret for _, secret in accepted]
        check = webhooks.verify_jwt(lowered.get("authorization"), secrets, audience=url)
        if not check.valid:
            return SignatureCheck(check.verdict, check.detail)
        return SignatureCheck(
            check.verdict,
            f"jwt accountId={check.account_id}",
            account_id=check.account_id,
            environment=accepted[check.matched][0],
        )

    def parse_webhook_events(self, body: bytes, *, account_id: str = "") -> list[InboundEvent]:
        """monday's body does not name the account: it comes from the verified JWT's ``accountId``."""
        return [event.to_inbound(account_id) for event in webhooks.parse_payload(body)]

    def webhook_handshake(self, body: bytes) -> dict[str, str] | None:
        return webhooks.challenge_response(body)

    def connect_actions(self, environment: str) -> list[ProviderAction]:
        url = reverse("crm_integrations:monday:connect_token") + f"?environment={environment}"
        return [ProviderAction("Use an API token", url, f"token-monday-{environment}")]

    def setup_actions(self, connection: OrganizationIntegration) -> list[ProviderAction]:
        if connection.status != "connected":
            return []
        url = reverse("crm_integrations:monday:choose_board", args=[connection.pk])
        has_board = (connection.settings or {}).get(BOARD_SETTING)
        label = "Change lead board" if has_board else "Choose the lead board"
        return [ProviderAction(label, url, f"board-{connection.pk}")]
