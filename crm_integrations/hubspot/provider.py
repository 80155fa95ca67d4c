"""HubSpot as a provider: its OAuth app per environment, scopes, client, and what the product needs."""

from __future__ import annotations

from pathlib import Path

from crm_integrations.core.errors import AuthRevoked, CrmError
from crm_integrations.core.http import ProviderHttpClient
from crm_integrations.core.oauth import OAuthApp, TokenSet
from crm_integrations.core.provider import ConnectedAccount, CrmProvider
from crm_integrations.core.webhooks import InboundEvent, SignatureCheck, WorkflowRequest

from . import config, webhooks, workflows
from .client import HubSpotClient
from .config import hubspot_settings
from .mapping import ASSOCIATIONS, LEADS_DEFAULT

#: Required scopes: what intake, routing (leads, contacts, companies, owners) and contracts (deals,
#: the deal status property, files) need. crm_integrations/hubspot/SETUP.md lists each with its
#: reason, plus the optional ones; the strings are spelled as HubSpot's "Scopes" page has them.
SCOPES = (
    "oauth",
    "crm.objects.leads.read",
    "crm.objects.leads.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.owners.read",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
    "files.read",
)
#: Only some features need these; HubSpot grants them when the account's tier has them.
OPTIONAL_SCOPES = ("crm.schemas.contacts.read", "files.ui_hidden.read")


class HubSpotProvider(CrmProvider):
    key = "hubspot"
    name = "HubSpot"
    client_class = HubSpotClient
    lead_object_types = ("leads", "contacts")
    associations = ASSOCIATIONS
    default_mappings = (LEADS_DEFAULT,)
    workflow_webhooks = True
    workflow_setup_template = "hubspot/workflow_setup.html"
    sandbox = "devtools.sandboxes.hubspot"
    budget_label = "calls per 10-second window"

    def rate_limits(self) -> dict[str, list[list[int]]]:
        return config.rate_limits()

    def sandbox_arguments(self, *, web_url: str, state_dir: Path) -> list[str]:
        """300 seeded leads, state kept across runs, app webhooks sent to the local web server."""
        return [
            *("--port", str(config.sandbox_port()), "--seed-leads", "300"),
            *("--state-file", str(state_dir / "hubspot-sandbox.json")),
            # "=": a generated secret may start with "-", which argparse takes for an option
            f"--client-secret={hubspot_settings('sandbox')['CLIENT_SECRET']}",
            *("--webhook-url", f"{web_url}/api/v1/integrations/hubspot/events"),
        ]

    def oauth_app(self, environment: str) -> OAuthApp:
        conf = hubspot_settings(environment)
        return OAuthApp(
            client_id=conf["CLIENT_ID"],
            client_secret=conf["CLIENT_SECRET"],
            authorize_url=conf["AUTH_BASE_URL"].rstrip("/") + "/oauth/authorize",
            token_url=conf["API_BASE_URL"].rstrip("/") + "/oauth/v3/token",
            revoke_url=conf["API_BASE_URL"].rstrip("/") + "/oauth/v3/token/revoke",
            introspect_url=conf["API_BASE_URL"].rstrip("/") + "/oauth/v3/token/introspect",
            redirect_uri=conf["REDIRECT_URI"],
            scopes=SCOPES,
            optional_scopes=OPTIONAL_SCOPES,
        )

    def identify_account(self, environment: str, tokens: TokenSet) -> ConnectedAccount:
        """Read the portal id (hub_id) and granted scopes from token introspection."""
        app = self.oauth_app(environment)
        http = ProviderHttpClient("hubspot", "oauth", hubspot_settings(environment)["API_BASE_URL"])
        response = http.request(
            "POST",
            "/oauth/v3/token/introspect",
            data={
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "token": tokens.access_token,
                "token_type_hint": "access_token",
            },
            idempotent=True,
        )
        info = response.json()
        if not info.get("active", True):
            raise AuthRevoked("HubSpot says the new access token is not active.")
        if not info.get("hub_id"):
            raise CrmError("HubSpot did not say which portal the new access token belongs to.")
        return ConnectedAccount(
            account_id=str(info["hub_id"]), scopes=tuple(info.get("scopes") or tokens.scopes)
        )

    def verify_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        return webhooks.verify_webhook(method=method, url=url, headers=headers, body=body)

    def parse_webhook_events(self, body: bytes, *, account_id: str = "") -> list[InboundEvent]:
        """HubSpot names the portal in every event, so ``account_id`` is not needed."""
        return webhooks.parse_webhook_events(body)

    def verify_workflow_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        return workflows.verify_workflow(method=method, url=url, headers=headers, body=body)

    def parse_workflow_webhook(self, *, url: str, body: bytes) -> WorkflowRequest:
        return workflows.parse_workflow(url=url, body=body)
