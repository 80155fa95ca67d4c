import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.db import connection as db_connection
from django.utils import timezone

from crm_integrations import services
from crm_integrations.core import registry
from crm_integrations.core.oauth import TokenSet
from crm_integrations.models import ConnectionStatus, Integration, Organization, OrganizationIntegration
from crm_integrations.services import (
    AccountAlreadyConnected,
    IntegrationUnavailable,
    connect_organization,
    upsert_organization_integration,
)


def test_the_catalogue_is_seeded_by_migration(db):
    seeded = dict(Integration.objects.values_list("provider", "enabled"))
    assert seeded == {provider.key: provider.available for provider in registry.providers()}
    assert (seeded["hubspot"], seeded["monday"], seeded["salesforce"]) == (True, True, True)


def test_upsert_creates_then_updates_the_same_row(organization):
    expires = timezone.now() + timedelta(minutes=30)
    created = upsert_organization_integration(
        organization,
        "hubspot",
        "production",
        status=ConnectionStatus.CONNECTED,
        external_account_id="12345",
        access_token="a1",
        refresh_token="r1",
        expires_at=expires,
        scopes=["crm.objects.leads.read"],
    )
    updated = upsert_organization_integration(organization, "hubspot", "production", access_token="a2")

    assert updated.pk == created.pk
    row = OrganizationIntegration.objects.get()
    assert (row.access_token, row.refresh_token) == ("a2", "r1")  # untouched fields kept
    assert (row.status, row.external_account_id, row.expires_at) == ("connected", "12345", expires)
    assert row.provider == "hubspot"


def test_environments_are_separate_connections(organization):
    production = upsert_organization_integration(organization, "hubspot", "production")
    sandbox = upsert_organization_integration(organization, "hubspot", "sandbox")
    assert production.pk != sandbox.pk
    assert OrganizationIntegration.objects.count() == 2


def test_upsert_rejects_unknown_fields_and_disabled_providers(organization):
    with pytest.raises(TypeError, match="password"):
        upsert_organization_integration(organization, "hubspot", "production", password="x")
    Integration.objects.filter(provider="monday").update(enabled=False)  # a superuser's switch
    with pytest.raises(IntegrationUnavailable):
        upsert_organization_integration(organization, "monday", "production")
    with pytest.raises(IntegrationUnavailable):
        upsert_organization_integration(organization, "pipedrive", "production")
    assert not OrganizationIntegration.objects.exists()


def test_upsert_is_atomic_an_invalid_value_stores_nothing(organization):
    upsert_organization_integration(organization, "hubspot", "production", status="connected")
    with pytest.raises(Exception, match="status"):
        upsert_organization_integration(
            organization, "hubspot", "production", access_token="new", status="not-a-status"
        )
    row = OrganizationIntegration.objects.get()
    assert (row.status, row.access_token) == ("connected", "")


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_parallel_upserts_of_one_connection_make_one_row_and_lose_no_field(organization):
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write(field: str, value: str) -> None:
        try:
            barrier.wait()
            upsert_organization_integration(organization, "hubspot", "production", **{field: value})
        except BaseException as error:
            errors.append(error)
        finally:
            db_connection.close()

    writers = [
        threading.Thread(target=write, args=args)
        for args in [
            ("access_token", "a"),
            ("refresh_token", "r"),
            ("external_account_id", "999"),
            ("status_reason", "why"),
        ]
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()

    assert errors == []
    row = OrganizationIntegration.objects.get()
    assert (row.access_token, row.refresh_token, row.external_account_id, row.status_reason) == (
        "a",
        "r",
        "999",
        "why",
    )


# --- One organization per CRM account -----------------------------------------------------------
PORTAL = "24000001"


def connect(organization, environment="sandbox"):
    return connect_organization(
        organization=organization,
        provider="hubspot",
        environment=environment,
        tokens=TokenSet(access_token="a", refresh_token="r", expires_at=None),
        account_id=PORTAL,
        scopes=("oauth",),
    )


def test_the_database_refuses_a_second_live_claim_on_an_account(organization):
    rival = Organization.objects.create(name="Rival", slug="rival")
    upsert_organization_integration(organization, "hubspot", "sandbox", external_account_id=PORTAL)

    with pytest.raises(IntegrityError):
        upsert_organization_integration(rival, "hubspot", "sandbox", external_account_id=PORTAL)


def test_disconnected_and_unidentified_connections_claim_no_account(organization):
    rival = Organization.objects.create(name="Rival", slug="rival")
    upsert_organization_integration(
        organization, "hubspot", "sandbox", status="disconnected", external_account_id=PORTAL
    )
    upsert_organization_integration(organization, "hubspot", "production")
    upsert_organization_integration(rival, "hubspot", "production")

    assert connect(rival).external_account_id == PORTAL


def test_a_claim_that_slips_past_the_check_is_refused_by_the_database(organization, monkeypatch):
    """Sequentially, the rival's row appears between our check and our write, as in a race."""
    rival = Organization.objects.create(name="Rival", slug="rival")
    real_upsert = services.upsert_organization_integration

    def rival_claims_first(org, provider, environment, **fields):
        real_upsert(rival, provider, environment, status="connected", external_account_id=PORTAL)
        return real_upsert(org, provider, environment, **fields)

    monkeypatch.setattr(services, "upsert_organization_integration", rival_claims_first)
    with pytest.raises(AccountAlreadyConnected, match=f"HubSpot account \\({PORTAL}\\) is already connected"):
        connect(organization)
    assert not OrganizationIntegration.objects.filter(organization=organization).exists()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_organizations_connecting_one_portal_at_once_exactly_one_wins(organization):
    rival = Organization.objects.create(name="Rival", slug="rival")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(org: Organization) -> None:
        try:
            barrier.wait()
            connect(org)
            outcomes[org.slug] = "connected"
        except AccountAlreadyConnected:
            outcomes[org.slug] = "refused"
        except BaseException as error:
            outcomes[org.slug] = repr(error)
        finally:
            db_connection.close()

    claimants = [threading.Thread(target=claim, args=(org,)) for org in (organization, rival)]
    for thread in claimants:
        thread.start()
    for thread in claimants:
        thread.join()

    assert sorted(outcomes.values()) == ["connected", "refused"], outcomes
    winner = OrganizationIntegration.objects.get(external_account_id=PORTAL)
    assert outcomes[winner.organization.slug] == "connected"
