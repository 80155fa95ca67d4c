"""What every CRM provider must show before it can be connected and send webhooks, whatever the CRM.

The setup half of the provider contract (tests/crm_integrations/provider_contract.py is the client
half): connecting by OAuth (the authorize URL and its state, the account a fresh grant belongs to),
the webhook signature check (valid, invalid, stale), the URL-verification handshake, and the CRM's
payloads parsed into events, Zulip style: one JSON file per event type in the provider's
``fixtures/`` test folder, each beside the events it must parse into.

Mix ``ProviderSetupContract`` into a test class in the provider's test folder and fill in:

* the class attributes ``provider_key``, ``fixtures``, ``unknown_fixture``,
  ``subscribed_event_types``, and where the CRM differs from the defaults ``handshake``,
  ``stale_age`` and ``signature_covers_body``;
* ``signed_headers``: how the CRM signs a webhook request;
* the fixture ``setup_sandbox``: the provider's sandbox running, the "sandbox" environment's
  settings pointing at it; it returns the sandbox's account id;
* the fixture ``webhook_secret``: the "sandbox" app's webhook secret, configured in settings.

A fixture file is ``{"description": ..., "account_id": ..., "payload": ..., "expected": [...]}``:
``payload`` is the body as the CRM sends it (JSON, or a string taken as it is: XML), ``account_id``
(optional) what the signature vouched for (crm_integrations/core/provider.py ``parse_webhook_events``),
``expected`` the events as ``event_view`` shows them. Every test reaches the provider through the
registry only.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from crm_integrations.core import oauth, registry
from crm_integrations.core.errors import CrmError
from crm_integrations.core.oauth import TokenSet
from crm_integrations.core.provider import CrmProvider
from crm_integrations.core.webhooks import InboundEvent, SignatureCheck
from crm_integrations.intake import processing
from crm_integrations.models import (
    EventOutcome,
    Organization,
    OrganizationIntegration,
    SignatureVerdict,
    WebhookDelivery,
)
from crm_integrations.services import upsert_organization_integration
from crm_integrations.signals import records_changed

from .oauth.consent import decide_at_sandbox

ENVIRONMENT = "sandbox"
ANOTHER_APPS_SECRET = "the-secret-of-another-app-that-signs-nothing-of-ours"


@dataclasses.dataclass(frozen=True)
class WebhookFixture:
    """One JSON file of a provider's ``fixtures/`` folder."""

    name: str
    description: str
    body: bytes
    account_id: str
    expected: list[dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> WebhookFixture:
        data = json.loads(path.read_text())
        return cls(
            name=path.stem,
            description=data["description"],
            # A string payload is the body as it is (Salesforce's Outbound Messages are SOAP/XML).
            body=(
                data["payload"].encode()
                if isinstance(data["payload"], str)
                else json.dumps(data["payload"]).encode()
            ),
            account_id=data.get("account_id", ""),
            expected=data["expected"],
        )


def event_view(event: InboundEvent) -> dict[str, Any]:
    """An event as a fixture file spells it: every field but the dedupe key (a hash, checked apart)."""
    view = dataclasses.asdict(event)
    del view["dedupe_key"]
    view["occurred_at"] = event.occurred_at.isoformat() if event.occurred_at else None
    return view


def single_values(query: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(query).items()}


def webhook_url(provider_key: str) -> str:
    """The URL the events endpoint sees itself at under Django's test client (signatures cover it)."""
    return "http://testserver" + reverse("crm_integrations:webhook_events", args=[provider_key])


class ProviderSetupContract:
    #: The provider's key in the registry (``settings.CRM_PROVIDERS``).
    provider_key: ClassVar[str]
    #: The folder of the provider's JSON fixtures, one file per event type.
    fixtures: ClassVar[Path]
    #: The fixture (file name without ``.json``) whose payload the app does not take in.
    unknown_fixture: ClassVar[str]
    #: The event types the app subscribes to: each must come out of at least one fixture.
    subscribed_event_types: ClassVar[frozenset[str]]
    #: A URL-verification request and the answer it must get, when the CRM sends one.
    handshake: ClassVar[tuple[dict[str, str], dict[str, str]] | None] = None
    #: How long ago a signature is made to be refused as stale; None when it carries no time.
    stale_age: ClassVar[timedelta | None] = None
    #: Whether a changed body breaks the signature (it does when the signature covers the body).
    signature_covers_body: ClassVar[bool] = True

    # --- hooks a provider's test class fills ---------------------------------------------------

    def signed_headers(
        self, *, url: str, body: bytes, secret: str, signed_at: float, account_id: str
    ) -> dict[str, str]:
        """The headers the CRM sends with ``body`` to ``url``, signed with ``secret`` at ``signed_at``
        (epoch seconds), for the CRM account ``account_id``."""
        raise NotImplementedError

    def approve(self, authorize_url: str) -> tuple[str, dict[str, str]]:
        """Approve on the sandbox's consent page; the redirect's path and query."""
        return decide_at_sandbox(authorize_url)

    # --- helpers -------------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One test per fixture file, named after it."""
        if "webhook_fixture" in metafunc.fixturenames:
            paths = sorted(self.fixtures.glob("*.json"))
            metafunc.parametrize(
                "webhook_fixture", [WebhookFixture.load(path) for path in paths], ids=[p.stem for p in paths]
            )

    @pytest.fixture
    def provider(self) -> CrmProvider:
        return registry.get_provider(self.provider_key)

    @pytest.fixture
    def handed_over(self) -> Iterator[list[tuple[str, list[str]]]]:
        """The records the intake hands to the apps above (object type, ids), whatever they answer."""
        calls: list[tuple[str, list[str]]] = []

        def receiver(sender: object, object_type: str, external_ids: list[str], **kwargs: object) -> None:
            calls.append((object_type, list(external_ids)))

        records_changed.connect(receiver, dispatch_uid="provider-setup-contract")
        yield calls
        records_changed.disconnect(dispatch_uid="provider-setup-contract")

    def fixture(self, name: str) -> WebhookFixture:
        return WebhookFixture.load(self.fixtures / f"{name}.json")

    def account_of(self, provider: CrmProvider, fixture: WebhookFixture) -> str:
        """The account a fixture's payload comes from: what its signature vouches for, or its events say."""
        events = provider.parse_webhook_events(fixture.body, account_id=fixture.account_id)
        return fixture.account_id or events[0].account_id

    def sign(
        self, body: bytes, *, secret: str, account_id: str, age: timedelta = timedelta()
    ) -> dict[str, str]:
        return self.signed_headers(
            url=webhook_url(self.provider_key),
            body=body,
            secret=secret,
            signed_at=time.time() - age.total_seconds(),
            account_id=account_id,
        )

    def verify(self, provider: CrmProvider, body: bytes, headers: dict[str, str]) -> SignatureCheck:
        return provider.verify_webhook(
            method="POST", url=webhook_url(self.provider_key), headers=headers, body=body
        )

    def start_connecting(self, client: Client, organization: Organization) -> str:
        """Press "Connect" for the sandbox environment: the CRM's authorize URL we redirect to."""
        response = client.get(
            reverse("crm_integrations:oauth_authorize", args=[self.provider_key]),
            {"organization": organization.pk, "environment": ENVIRONMENT},
        )
        assert response.status_code == 302, response.content
        return response["Location"]

    def finish_connecting(self, client: Client, path: str, query: dict[str, str]) -> list[str]:
        """Come back to ``path`` with ``query``: the messages staff are shown."""
        response = client.get(path, query, follow=True)
        assert response.redirect_chain == [(reverse("crm_integrations:integrations"), 302)]
        return [str(message) for message in response.context["messages"]]

    def fresh_grant(self, provider: CrmProvider, organization: Organization) -> TokenSet:
        """Tokens from the consent flow, exchanged as the callback does (state and PKCE verifier included)."""
        app = provider.oauth_app(ENVIRONMENT)
        request = SimpleNamespace(session={}, user=SimpleNamespace(pk=1))
        url = oauth.begin(
            request,
            provider=self.provider_key,
            app=app,
            organization_id=organization.pk,
            environment=ENVIRONMENT,
        )
        _, query = self.approve(url)
        pending = oauth.consume_state(request, provider=self.provider_key, state=query["state"])
        return oauth.exchange_code(app, code=query["code"], code_verifier=pending.code_verifier)

    # --- the authorize URL and its state -------------------------------------------------------

    def test_the_authorize_url_names_the_app_its_scopes_and_a_fresh_state(
        self, admin_client, organization, setup_sandbox, provider
    ):
        app = provider.oauth_app(ENVIRONMENT)

        url = urlsplit(self.start_connecting(admin_client, organization))
        query = single_values(url.query)
        again = single_values(urlsplit(self.start_connecting(admin_client, organization)).query)

        assert f"{url.scheme}://{url.netloc}{url.path}" == app.authorize_url
        assert query["response_type"] == "code"
        assert query["client_id"] == app.client_id
        assert query["redirect_uri"] == app.redirect_uri
        assert urlsplit(app.redirect_uri).path == reverse(
            "crm_integrations:oauth_callback", args=[self.provider_key]
        )
        assert set(query["scope"].split()) == set(app.scopes)
        assert query.get("optional_scope", "").split() == list(app.optional_scopes)
        assert query["code_challenge_method"] == "S256" and query["code_challenge"]
        assert len(query["state"]) >= 32 and query["state"] != again["state"]

    def test_the_state_comes_back_from_the_consent_page_and_connects_the_account(
        self, admin_client, organization, setup_sandbox, provider
    ):
        url = self.start_connecting(admin_client, organization)

        path, query = self.approve(url)
        messages = self.finish_connecting(admin_client, path, query)

        assert path == reverse("crm_integrations:oauth_callback", args=[self.provider_key])
        assert query["state"] == single_values(urlsplit(url).query)["state"] and query["code"]
        assert messages == [f"{provider.name} connected (account {setup_sandbox}, {ENVIRONMENT})."]
        connection = OrganizationIntegration.objects.get(organization=organization)
        assert (connection.provider, connection.external_account_id, connection.status) == (
            self.provider_key,
            setup_sandbox,
            "connected",
        )

    def test_a_state_used_once_already_or_never_issued_is_refused(
        self, admin_client, organization, setup_sandbox
    ):
        refused = ["This connection attempt is unknown or was already used. Please start again."]
        path, query = self.approve(self.start_connecting(admin_client, organization))
        self.finish_connecting(admin_client, path, query)
        OrganizationIntegration.objects.all().delete()
        _, fresh = self.approve(self.start_connecting(admin_client, organization))

        assert self.finish_connecting(admin_client, path, query) == refused
        assert self.finish_connecting(admin_client, path, {**fresh, "state": "never-issued"}) == refused
        assert not OrganizationIntegration.objects.exists()

    # --- account identification ----------------------------------------------------------------

    def test_identify_account_names_the_account_and_the_scopes_of_a_fresh_grant(
        self, organization, setup_sandbox, provider
    ):
        tokens = self.fresh_grant(provider, organization)

        account = provider.identify_account(ENVIRONMENT, tokens)

        assert account.account_id == setup_sandbox
        assert set(provider.oauth_app(ENVIRONMENT).scopes) <= set(account.scopes)

    def test_identify_account_refuses_a_token_the_crm_never_issued(self, db, setup_sandbox, provider):
        with pytest.raises(CrmError):
            provider.identify_account(ENVIRONMENT, TokenSet("a-token-the-crm-never-issued", "", None))

    # --- webhook verification ------------------------------------------------------------------

    @pytest.fixture
    def sample(self, provider) -> tuple[bytes, str]:
        """A real body to sign (the first fixture's) and the account it comes from."""
        fixture = WebhookFixture.load(sorted(self.fixtures.glob("*.json"))[0])
        return fixture.body, self.account_of(provider, fixture)

    def test_a_webhook_signed_with_the_apps_secret_is_valid(self, provider, webhook_secret, sample):
        body, account_id = sample

        check = self.verify(provider, body, self.sign(body, secret=webhook_secret, account_id=account_id))

        assert check.verdict == SignatureVerdict.VALID, check.detail
        assert check.environment == ENVIRONMENT
        assert check.account_id in ("", account_id)

    def test_a_webhook_signed_with_another_secret_is_invalid(self, provider, webhook_secret, sample):
        body, account_id = sample

        check = self.verify(
            provider, body, self.sign(body, secret=ANOTHER_APPS_SECRET, account_id=account_id)
        )

        assert check.verdict == SignatureVerdict.INVALID, check.detail
        assert (check.account_id, check.environment) == ("", "")

    def test_a_stale_signature_is_refused(self, provider, webhook_secret, sample):
        if self.stale_age is None:
            pytest.skip(f"{provider.name}'s signature carries no time")
        body, account_id = sample
        headers = self.sign(body, secret=webhook_secret, account_id=account_id, age=self.stale_age)

        check = self.verify(provider, body, headers)

        assert check.verdict == SignatureVerdict.STALE, check.detail

    def test_a_body_changed_after_signing_is_invalid(self, provider, webhook_secret, sample):
        if not self.signature_covers_body:
            pytest.skip(f"{provider.name}'s signature vouches for the sender, not the body")
        body, account_id = sample
        headers = self.sign(body, secret=webhook_secret, account_id=account_id)

        check = self.verify(provider, body.replace(b"}", b', "injected": 1}', 1), headers)

        assert check.verdict == SignatureVerdict.INVALID, check.detail

    # --- the handshake -------------------------------------------------------------------------

    def test_a_url_verification_request_is_echoed_when_the_crm_sends_one(self, provider):
        if self.handshake is None:
            assert provider.webhook_handshake(b'{"challenge": "not-a-handshake-here"}') is None
            return
        request, answer = self.handshake

        assert provider.webhook_handshake(json.dumps(request).encode()) == answer
        assert provider.parse_webhook_events(json.dumps(request).encode()) == []

    def test_the_events_endpoint_answers_the_handshake_unsigned_and_nothing_else(self, client, db):
        request = self.handshake[0] if self.handshake else {"challenge": "not-a-handshake-here"}

        response = client.post(
            reverse("crm_integrations:webhook_events", args=[self.provider_key]),
            data=json.dumps(request).encode(),
            content_type="application/json",
        )

        if self.handshake is None:
            assert response.status_code == 401
        else:
            assert (response.status_code, response.json()) == (200, self.handshake[1])

    # --- payloads: one fixture file per event type ---------------------------------------------

    def test_a_fixture_parses_into_its_expected_events(self, provider, webhook_fixture):
        events = provider.parse_webhook_events(webhook_fixture.body, account_id=webhook_fixture.account_id)

        assert [event_view(event) for event in events] == webhook_fixture.expected, (
            webhook_fixture.description
        )
        keys = [event.dedupe_key for event in events]
        assert all(keys) and len(set(keys)) == len(keys)
        assert provider.webhook_handshake(webhook_fixture.body) is None

    def test_every_event_type_the_app_subscribes_to_has_a_fixture(self, provider):
        fixtures = [WebhookFixture.load(path) for path in self.fixtures.glob("*.json")]
        parsed = {
            event.event_type
            for fixture in fixtures
            for event in provider.parse_webhook_events(fixture.body, account_id=fixture.account_id)
        }

        assert self.subscribed_event_types <= parsed

    def test_an_unknown_payload_is_answered_and_its_events_ignored(
        self, client, organization, provider, webhook_secret, handed_over
    ):
        fixture = self.fixture(self.unknown_fixture)
        account_id = self.account_of(provider, fixture)
        upsert_organization_integration(
            organization,
            self.provider_key,
            ENVIRONMENT,
            status="connected",
            external_account_id=account_id,
            access_token="unused-the-payload-is-not-fetched",
        )

        response = client.post(
            reverse("crm_integrations:webhook_events", args=[self.provider_key]),
            data=fixture.body,
            content_type="application/json",
            headers=self.sign(fixture.body, secret=webhook_secret, account_id=account_id),
        )
        delivery = WebhookDelivery.objects.get()
        counts = processing.process(delivery.pk)

        assert response.status_code == 200, response.content
        assert handed_over == []
        assert set(counts) <= {EventOutcome.IGNORED}
        assert set(delivery.events.values_list("outcome", flat=True)) <= {EventOutcome.IGNORED}
