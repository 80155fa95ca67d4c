"""The catalogue is filled from the registry (crm_integrations/catalogue.py): a provider listed in
``CRM_PROVIDERS`` gets its row with no migration of its own, and the superusers' switch is kept."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from crm_integrations.catalogue import CATALOGUE, ensure_catalogue
from crm_integrations.core import registry
from crm_integrations.core.provider import CrmProvider
from crm_integrations.models import Integration
from crm_integrations.selectors import crm_choices
from tests.crm_integrations.test_registry import EchoClient


class LaterProvider(CrmProvider):
    key = "later"
    name = "Later CRM"
    client_class = EchoClient
    available = False


@pytest.fixture
def with_later_provider():
    registry.load_from_settings()
    registry.register(LaterProvider)
    yield
    registry.load_from_settings()


def rows() -> dict[str, tuple[str, bool]]:
    return {row.provider: (row.name, row.enabled) for row in Integration.objects.order_by("pk")}


def test_every_registered_provider_has_a_row_named_and_switched_as_it_describes_itself(db):
    # Whatever the settings register (the test settings add a provider of tests/providers/), in order.
    described = [(provider.key, provider.name, provider.available) for provider in registry.providers()]
    assert list(rows().items()) == [(key, (name, available)) for key, name, available in described]
    assert described == CATALOGUE
    assert described[:3] == [
        ("hubspot", "HubSpot", True),
        ("monday", "Monday.com", True),
        ("salesforce", "Salesforce", True),
    ]


def test_a_new_provider_gets_its_row_after_migrate(db, with_later_provider):
    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate still fills the catalogue
    assert rows()["later"] == ("Later CRM", False)


def test_the_superusers_switch_is_kept_and_an_unavailable_provider_is_switched_off(db, with_later_provider):
    Integration.objects.filter(provider="monday").update(enabled=False, name="old name")
    Integration.objects.create(provider="later", name="Later CRM", enabled=True)
    ensure_catalogue(Integration)
    assert rows()["monday"] == ("Monday.com", False)  # renamed as the code says, still switched off
    assert rows()["later"] == ("Later CRM", False)  # it cannot be connected yet


def test_an_unavailable_provider_is_listed_but_cannot_be_chosen(organization, with_later_provider):
    ensure_catalogue(Integration)
    Integration.objects.filter(provider="later").update(enabled=True)  # a superuser's switch
    available = {choice.provider: choice.available for choice in crm_choices(organization)}
    assert available == {provider.key: provider.available for provider in registry.providers()}
    assert (available["hubspot"], available["salesforce"], available["later"]) == (True, True, False)


def test_the_admin_index_names_the_catalogues_crms(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "HubSpot, Monday.com, Salesforce" in page
