"""SalesforceProvider held to the provider setup contract: OAuth (web server flow with PKCE) against
the Salesforce sandbox, and Outbound Messages from ``fixtures/``.

Outbound Messages carry no signature (no secret, no time): what the contract's signature tests check
is, for Salesforce, whether the message's ``OrganizationId`` is a connected org. The two tests that
need a secret are restated in those terms here; the stale and changed-body ones do not apply.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_integrations.models import SignatureVerdict
from crm_integrations.salesforce.outbound import OBJECT_TYPES
from crm_integrations.services import upsert_organization_integration

from ..provider_setup_contract import ENVIRONMENT, ProviderSetupContract
from .test_outbound import OTHER_ORG


class TestSalesforceSetupContract(ProviderSetupContract):
    provider_key = "salesforce"
    fixtures = Path(__file__).parent / "fixtures"
    unknown_fixture = "contact_updated"
    subscribed_event_types = frozenset(f"{name.lower()}.outbound_message" for name in OBJECT_TYPES)
    signature_covers_body = False

    def signed_headers(
        self, *, url: str, body: bytes, secret: str, signed_at: float, account_id: str
    ) -> dict[str, str]:
        """What Salesforce sends: no signature, only the SOAP headers."""
        return {"SOAPAction": '""'}

    @pytest.fixture
    def setup_sandbox(self, sandbox_settings, sandbox) -> str:
        return sandbox.org_id

    @pytest.fixture
    def webhook_secret(self, organization, offline_settings) -> str:
        """No secret: the fixtures' org (the sandbox's) connected, which is what vouches for a message."""
        upsert_organization_integration(
            organization,
            self.provider_key,
            ENVIRONMENT,
            status="connected",
            external_account_id="00DSB00000000012AA",
            access_token="unused",
            settings={"instance_url": "https://acme.my.salesforce.test"},
        )
        return ""

    def test_a_webhook_signed_with_another_secret_is_invalid(self, provider, webhook_secret, sample):
        """Restated: a message naming an org no organization connected is refused."""
        body, account_id = sample

        check = self.verify(provider, body.replace(account_id.encode(), OTHER_ORG.encode()), {})

        assert check.verdict == SignatureVerdict.INVALID, check.detail
        assert (check.account_id, check.environment) == ("", "")
