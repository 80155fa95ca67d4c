"""MondayProvider held to the provider setup contract: OAuth (legacy flow) against the monday sandbox,
JWT-signed webhooks, the challenge handshake, and monday's event payloads from ``fixtures/``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crm_integrations.monday.boards import LEAD_EVENTS
from crm_integrations.monday.config import monday_apps
from crm_integrations.monday.webhooks import LEEWAY
from devtools.sandboxes.monday import RunningSandbox

from ..provider_setup_contract import ENVIRONMENT, ProviderSetupContract
from .conftest import SIGNING_SECRET
from .test_webhooks import token

#: How long the JWTs these tests sign are good for (monday's are short-lived too).
JWT_LIFETIME = 60


class TestMondaySetupContract(ProviderSetupContract):
    provider_key = "monday"
    fixtures = Path(__file__).parent / "fixtures"
    unknown_fixture = "subitem_column_changed"
    subscribed_event_types = frozenset(LEAD_EVENTS)
    handshake = (
        {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
        {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
    )
    #: An expired JWT, past the leeway allowed for clock skew.
    stale_age = timedelta(seconds=JWT_LIFETIME + LEEWAY + 60)
    signature_covers_body = False

    def signed_headers(
        self, *, url: str, body: bytes, secret: str, signed_at: float, account_id: str
    ) -> dict[str, str]:
        """``Authorization: <JWT>`` for the account, addressed to ``url``; monday signs no body."""
        issued = int(signed_at)
        jwt = token(secret, aud=url, accountId=int(account_id), iat=issued, exp=issued + JWT_LIFETIME)
        return {"Authorization": jwt}

    @pytest.fixture
    def setup_sandbox(self, monday_sandbox: RunningSandbox) -> str:
        return str(monday_sandbox.account_id)

    @pytest.fixture
    def webhook_secret(self, settings) -> str:
        """The "sandbox" app's signing secret (the public default counts only with DEBUG on)."""
        settings.MONDAY = {
            **monday_apps(),
            ENVIRONMENT: {**monday_apps()[ENVIRONMENT], "SIGNING_SECRET": SIGNING_SECRET},
        }
        return SIGNING_SECRET
