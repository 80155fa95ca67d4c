"""HubSpotProvider held to the provider setup contract: OAuth against the HubSpot sandbox, v3 webhook
signatures, and HubSpot's event batches from ``fixtures/``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crm_integrations.hubspot.config import hubspot_settings
from crm_integrations.hubspot.webhooks import MAX_TIMESTAMP_AGE_MS
from devtools.sandboxes.hubspot import RunningSandbox
from devtools.sandboxes.hubspot.signing import signed_headers

from ..provider_setup_contract import ENVIRONMENT, ProviderSetupContract


class TestHubSpotSetupContract(ProviderSetupContract):
    provider_key = "hubspot"
    fixtures = Path(__file__).parent / "fixtures"
    unknown_fixture = "custom_object_created"
    #: crm_integrations/hubspot/SETUP.md section 3: leads (generic) and deals (legacy or generic).
    subscribed_event_types = frozenset({"object.creation", "object.propertyChange", "deal.propertyChange"})
    stale_age = timedelta(milliseconds=MAX_TIMESTAMP_AGE_MS) + timedelta(minutes=1)

    def signed_headers(
        self, *, url: str, body: bytes, secret: str, signed_at: float, account_id: str
    ) -> dict[str, str]:
        """v3 (HubSpot names the portal in the body, so ``account_id`` is not signed)."""
        return signed_headers(None, secret, "POST", url, body, int(signed_at * 1000))

    @pytest.fixture
    def setup_sandbox(self, hubspot_sandbox: RunningSandbox) -> str:
        return str(hubspot_sandbox.portal_id)

    @pytest.fixture
    def webhook_secret(self, settings) -> str:
        """The "sandbox" app's client secret of config/settings/test.py (HubSpot signs with it)."""
        return hubspot_settings(ENVIRONMENT)["CLIENT_SECRET"]
