"""Adding a provider is its folder plus one line: Mini CRM lives only in tests/providers/minicrm/ and
is registered by one ``CRM_PROVIDERS`` line in config/settings/test.py; nothing else in the tree
names it. Here it is walked from the CRM selection screen through its own connect page, the mapping
wizard, a signed webhook and the intake to a routed lead whose owner is written back to it; and
held to the two provider contracts like the real providers: the client half
(tests/crm_integrations/provider_contract.py) and the webhook part of the setup half
(tests/crm_integrations/provider_setup_contract.py, payloads from tests/providers/minicrm/fixtures/).
It connects by API key, not OAuth: the setup contract's OAuth tests do not apply and say so.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import resolve, reverse

from crm_integrations.core import registry
from crm_integrations.core.http.budgets import rate_budgets
from crm_integrations.core.types import FieldType
from crm_integrations.intake import processing
from crm_integrations.models import Integration, OrganizationIntegration, WebhookDelivery
from crm_integrations.services import upsert_organization_integration
from devtools.demo.rules import starter_rules
from field_mapping import providers as mapping_providers
from field_mapping.models import FieldMapping, Lead
from routing.models import Decision, OwnerWrite, RepIdentity
from routing.reps_sync import sync_reps
from tests.conftest import SCREENSHOTS
from tests.field_mapping.test_wizard_browser import preview_table
from tests.providers.minicrm import store, webhooks

from .provider_contract import ContractEnvironment, ProviderContract
from .provider_setup_contract import ProviderSetupContract

FOLDER = Path(store.__file__).resolve().parent
KEY = "minicrm"
#: The "sandbox" app's signing secret in these tests (its public default counts only with DEBUG on).
SECRET = "test-minicrm-signing-secret-of-the-tests"
SAMPLES = (
    {"full_name": "Ada Byron", "email": "Ada@Analytical.example", "channel": "web", "stage": "new"},
    {"full_name": "Hedy Lamarr", "email": "hedy@spread.example", "channel": "referral", "stage": "working"},
)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"minimal-provider-{name}.png"), full_page=True)


@pytest.fixture
def mini_crm(settings) -> store.Store:
    """Mini CRM emptied (its seeded owners, no leads), its "sandbox" app signing with ``SECRET``."""
    store.reset()
    settings.MINICRM = {"sandbox": {"SIGNING_SECRET": SECRET}}
    return store.STORE


def test_its_catalogue_row_page_template_mapping_and_budget_come_from_its_folder(
    admin_client, organization, mini_crm
):
    provider = registry.get_provider(KEY)
    url = reverse(f"crm_integrations:{KEY}:connect")

    page = admin_client.get(url, {"environment": "sandbox", "organization": organization.pk})
    selection = admin_client.get(reverse("crm_integrations:select_crm"), {"organization": organization.pk})

    assert Integration.objects.filter(provider=KEY, name="Mini CRM", enabled=True).exists()
    assert resolve(url).func.__module__ == "tests.providers.minicrm.views"
    assert page.status_code == 200
    assert Path(page.templates[0].origin.name) == FOLDER / "templates" / "minicrm" / "connect.html"
    assert provider.template_dir() == FOLDER / "templates"
    assert f'id="api-key-{KEY}-sandbox"' in selection.content.decode()
    assert mapping_providers.lead_object_types(KEY) == ("leads",)
    assert mapping_providers.default_mapping(KEY, "leads").status_source == "stage"
    assert rate_budgets()[KEY] == [[100, 10]]


@pytest.mark.django_db(transaction=True)
def test_from_the_selection_screen_to_a_routed_lead_written_back(
    admin_page, live_server, organization, mini_crm, settings
):
    settings.ROUTING_WRITEBACK_WINDOW = 0  # the owner is written back at once, in this process
    page = admin_page

    # 1. The selection screen lists Mini CRM; its own page connects it with an API key.
    page.goto(f"{live_server.url}/integrations/connect/")
    assert page.inner_text("#crm-minicrm h2") == "Mini CRM"
    shoot(page, "1-select-crm")
    page.click("#api-key-minicrm-sandbox")
    page.wait_for_selector("#minicrm-connect-form")
    assert page.input_value("#id_environment") == "sandbox"
    page.fill("#id_api_key", "a-key-mini-crm-never-issued")
    page.click("#minicrm-connect-form button[type=submit]")
    page.wait_for_selector(".messagelist .error")
    assert "Mini CRM refused the key: Mini CRM does not know this API key." in page.inner_text(".messagelist")
    assert not OrganizationIntegration.objects.filter(integration__provider=KEY).exists()
    page.fill("#id_api_key", store.API_KEY)
    page.click("#minicrm-connect-form button[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Mini CRM connected (account 7001, sandbox)." in page.inner_text(".messagelist")
    connection = OrganizationIntegration.objects.get(integration__provider=KEY)
    assert (connection.status, connection.external_account_id, connection.environment) == (
        "connected",
        store.ACCOUNT_ID,
        "sandbox",
    )
    assert connection.access_token == store.API_KEY and store.API_KEY not in page.content()
    shoot(page, "2-connected")

    # 2. The mapping wizard: its fields, its default mapping, a preview on its records, saved.
    samples = [mini_crm.create_lead(**sample) for sample in SAMPLES]
    page.goto(f"{live_server.url}/admin/field_mapping/fieldmapping/")
    page.click("#open-wizard")
    page.locator(f"tr.connection[data-provider={KEY}][data-environment=sandbox] a.choose-connection").click()
    page.wait_for_selector("#mapping-form")
    assert "leads (" in page.inner_text("#catalogue-summary")
    assert page.input_value("#id_rule-owner-source_path") == "owner_id"
    assert page.input_value("#id_rule-source-source_path") == "channel"
    page.click("#preview")
    page.wait_for_selector("#preview-results")
    table = preview_table(page)  # a mapped source shows in Mini CRM's words (its channel's label)
    assert {lead_id: (row["name"], row["email"], row["source"]) for lead_id, row in table.items()} == {
        samples[0].id: ("Ada Byron", "ada@analytical.example", "Web form"),
        samples[1].id: ("Hedy Lamarr", "hedy@spread.example", "Referral"),
    }
    shoot(page, "3-preview")
    page.click("#save")
    page.wait_for_selector(".messagelist .success")
    mapping = FieldMapping.objects.get(connection=connection)
    assert mapping.status_source == "stage"
    assert mapping.rules.get(canonical_field="owner").source_path == "owner_id"

    # 3. Reps from its owners, the starter rules published.
    starter_rules(organization)
    assert sync_reps(connection).created == len(store.SEED_OWNERS)

    # 4. A new lead in Mini CRM arrives by signed webhook at the real endpoint and is processed.
    created = mini_crm.create_lead(
        full_name="Grace Brewster", email="grace@navy.example", channel="event", stage="new"
    )
    body, headers = mini_crm.webhook([mini_crm.event("lead.creation", created.id)], secret=SECRET)
    response = Client().post(
        reverse("crm_integrations:webhook_events", args=[KEY]),
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200, response.content
    delivery = WebhookDelivery.objects.get(provider=KEY)
    assert (delivery.signature, delivery.environment) == ("valid", "sandbox")
    processing.process(delivery.pk)

    # 5. A canonical lead, routed to an active rep, whose owner is written back to Mini CRM.
    lead = Lead.objects.get(connection=connection, external_id=created.id)
    assert (lead.name, lead.email, lead.source, lead.status, lead.received_via) == (
        "Grace Brewster",
        "grace@navy.example",
        "EVENT",
        "open",
        "webhook",
    )
    assert delivery.events.get().outcome == "ingested"
    decision = Decision.objects.get(lead=lead, is_current=True)
    identity = RepIdentity.objects.get(rep=decision.rep, connection=connection)
    assert identity.active_in_crm
    write = OwnerWrite.objects.get(decision=decision)
    assert (write.status, write.owner_property, write.owner_external_id) == (
        "written",
        "owner_id",
        identity.external_id,
    )
    assert mini_crm.lead(created.id).properties["owner_id"] == identity.external_id


# -- the provider contracts ------------------------------------------------------------------------
class TestMiniCrmClientContract(ProviderContract):
    @pytest.fixture
    def contract_client(self, organization, mini_crm):
        connection = upsert_organization_integration(
            organization,
            KEY,
            "sandbox",
            status="connected",
            external_account_id=store.ACCOUNT_ID,
            access_token=store.API_KEY,
        )
        return registry.get_client(connection)

    @pytest.fixture
    def contract_env(self, mini_crm):
        for number in range(10):
            mini_crm.create_lead(full_name=f"Lead {number}", email=f"lead{number}@mini.example", stage="new")
        return ContractEnvironment(
            object_type="leads",
            all_ids=lambda: set(mini_crm.leads),
            touch=lambda lead_id: mini_crm.update_lead(lead_id, {"stage": "working"}),
            missing_id="999999",
            writable_property=("company", "Renamed through the contract"),
            field_types={
                "full_name": FieldType.STRING,
                "stage": FieldType.ENUMERATION,
                "channel": FieldType.ENUMERATION,
                "owner_id": FieldType.OWNER,
                "deal_size": FieldType.NUMBER,
                "created_at": FieldType.DATETIME,
            },
            active_owner_emails={owner.email for owner in store.SEED_OWNERS if owner.active},
            inactive_owner_emails={owner.email for owner in store.SEED_OWNERS if not owner.active},
            properties=("full_name", "stage"),
        )


def _connects_by_api_key(self) -> None:
    pytest.skip("Mini CRM connects with an API key (its own page), not OAuth")


class TestMiniCrmSetupContract(ProviderSetupContract):
    provider_key = KEY
    fixtures = FOLDER / "fixtures"
    unknown_fixture = "note_creation"
    subscribed_event_types = frozenset(webhooks.LEAD_EVENTS)
    stale_age = timedelta(seconds=webhooks.MAX_AGE_SECONDS + 60)

    test_the_authorize_url_names_the_app_its_scopes_and_a_fresh_state = _connects_by_api_key
    test_the_state_comes_back_from_the_consent_page_and_connects_the_account = _connects_by_api_key
    test_a_state_used_once_already_or_never_issued_is_refused = _connects_by_api_key
    test_identify_account_names_the_account_and_the_scopes_of_a_fresh_grant = _connects_by_api_key
    test_identify_account_refuses_a_token_the_crm_never_issued = _connects_by_api_key

    def signed_headers(
        self, *, url: str, body: bytes, secret: str, signed_at: float, account_id: str
    ) -> dict[str, str]:
        """``X-Mini-Signature`` over the body; Mini CRM's body names its account, the header does not."""
        return webhooks.signed_headers(body, secret=secret, signed_at=signed_at)

    @pytest.fixture
    def webhook_secret(self, mini_crm) -> str:
        return SECRET


def test_a_signature_from_the_future_is_refused_as_stale(mini_crm):
    body = webhooks.body(store.ACCOUNT_ID, [])
    headers = webhooks.signed_headers(body, secret=SECRET, signed_at=time.time() + 3600)

    assert webhooks.verify(headers, body).verdict == "stale"
