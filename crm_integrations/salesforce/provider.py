"""Salesforce as a provider: its External Client App per environment, the org a grant belongs to,
Outbound Messages, and the client.

OAuth is the web server flow with PKCE and ``state`` (crm_integrations/core/oauth.py) at the
environment's login host; the token answer has no ``expires_in``, so the access token's expiry comes
from token introspection where the app may introspect (crm_integrations/salesforce/introspection.py:
refreshed ahead of it as for the other CRMs), else stays unknown and a 401 refreshes it
(crm_integrations/salesforce/api.py). The answer names the ``instance_url`` every API call goes to and the
identity URL ``https://login.salesforce.com/id/<org id>/<user id>``: the org id is the connection's
account (one org, one organization). A refresh answer holds no new refresh token unless the app
rotates them; crm_integrations/core/tokens.py keeps the old one then, and stores a rotated one at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.urls import reverse

from crm_integrations.core.errors import CrmError
from crm_integrations.core.oauth import OAuthApp, TokenSet
from crm_integrations.core.provider import ConnectedAccount, CrmProvider, ProviderAction
from crm_integrations.core.webhooks import InboundEvent, SignatureCheck

from . import config, inbound, introspection, limits, outbound, soql
from .client import SalesforceClient
from .config import CONTRACT_STAGES_SETTING, INSTANCE_URL_SETTING, USER_ID_SETTING, salesforce_settings
from .mapping import LEADS_DEFAULT
from .objects import BATCH_LIMIT

if TYPE_CHECKING:
    from crm_integrations.core.allocation import AllocationReading
    from crm_integrations.models import OrganizationIntegration

#: ``api`` for the REST API, ``refresh_token`` for a refresh token (without it none is issued).
SCOPES = ("api", "refresh_token")


def identity(tokens: TokenSet) -> tuple[str, str]:
    """``(org id, user id)`` from the token answer's identity URL (``.../id/<org id>/<user id>``)."""
    parts = urlsplit(str(tokens.raw.get("id") or "")).path.strip("/").split("/")
    if len(parts) < 3 or parts[-3] != "id" or not (soql.is_id(parts[-2]) and soql.is_id(parts[-1])):
        raise CrmError("Salesforce did not say which org the new access token belongs to.")
    return parts[-2], parts[-1]


class SalesforceProvider(CrmProvider):
    key = config.KEY
    name = "Salesforce"
    client_class = SalesforceClient
    lead_object_types = ("leads",)
    default_mappings = (LEADS_DEFAULT,)
    sandbox = "devtools.sandboxes.salesforce"
    #: One SOQL query reads 200 leads by id (owner and account fields in the same query) and one
    #: Collections call writes 200 owners: a round of 200 costs what a larger one does per lead.
    full_intake_round = BATCH_LIMIT

    def setup_actions(self, connection: OrganizationIntegration) -> list[ProviderAction]:
        """The contract stages page (crm_integrations/salesforce/stage_views.py), once connected."""
        if connection.status != "connected":
            return []
        url = reverse("crm_integrations:salesforce:choose_contract_stages", args=[connection.pk])
        chosen = (connection.settings or {}).get(CONTRACT_STAGES_SETTING)
        label = "Change contract stages" if chosen else "Choose contract stages"
        return [ProviderAction(label, url, f"contract-stages-{connection.pk}")]

    def rate_limits(self) -> dict[str, list[list[int]]]:
        """Requests per second per org (``SALESFORCE_RATE_LIMIT``, crm_integrations/salesforce/SETUP.md)."""
        return config.rate_limits()

    def daily_allocation(self, connection: OrganizationIntegration) -> AllocationReading | None:
        """The org's last ``Sforce-Limit-Info`` reading; backfills pause at ``SALESFORCE_NON_URGENT_SHARE``
        of it (the inherited ``non_urgent_paused``; crm_integrations/salesforce/limits.py)."""
        return limits.reading(connection.external_account_id)

    def sandbox_arguments(self, *, web_url: str, state_dir: Path) -> list[str]:
        """40 seeded leads, state kept across runs, Outbound Messages sent to the local web server."""
        conf = salesforce_settings("sandbox")
        return [
            *("--port", str(config.sandbox_port()), "--seed-leads", "40"),
            *("--state-file", str(state_dir / "salesforce-sandbox.json")),
            *("--client-id", conf["CLIENT_ID"]),
            f"--client-secret={conf['CLIENT_SECRET']}",  # "=": a generated secret may start with "-"
            *("--outbound-url", f"{web_url}{config.OUTBOUND_PATH}"),
        ]

    def oauth_app(self, environment: str) -> OAuthApp:
        conf = salesforce_settings(environment)
        login = conf["LOGIN_URL"]
        return OAuthApp(
            client_id=conf["CLIENT_ID"],
            client_secret=conf["CLIENT_SECRET"],
            authorize_url=f"{login}/services/oauth2/authorize",
            token_url=f"{login}/services/oauth2/token",
            revoke_url=f"{login}/services/oauth2/revoke",
            introspect_url=f"{login}/services/oauth2/introspect",
            redirect_uri=conf["REDIRECT_URI"],
            scopes=SCOPES,
        )

    def identify_account(self, environment: str, tokens: TokenSet) -> ConnectedAccount:
        """The org and user from the identity URL of the token answer, which came straight from the
        token endpoint; the scopes it names. Introspection is not asked here: an app may not be
        allowed to introspect, and connecting must work without it (``expiry_from_grant``)."""
        org_id, user_id = identity(tokens)
        instance = str(tokens.raw.get("instance_url") or "").rstrip("/")
        if not instance.startswith(("https://", "http://")):
            raise CrmError("Salesforce did not say where the org's API lives (no instance_url).")
        return ConnectedAccount(
            account_id=org_id,
            scopes=tokens.scopes,
            settings={INSTANCE_URL_SETTING: instance, USER_ID_SETTING: user_id},
        )

    def expiry_from_grant(self, environment: str, tokens: TokenSet) -> datetime | None:
        """``exp`` from token introspection; None when the app may not introspect (then a 401 refreshes)."""
        login = salesforce_settings(environment)["LOGIN_URL"]
        answer = introspection.introspect(self.oauth_app(environment), login, tokens.access_token)
        return introspection.expiry(answer)

    def verify_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        """Outbound Messages are unsigned: the sender is checked by its ``OrganizationId``."""
        return inbound.check_sender(body)

    def parse_webhook_events(self, body: bytes, *, account_id: str = "") -> list[InboundEvent]:
        return outbound.events(outbound.parse(body), account_id)
