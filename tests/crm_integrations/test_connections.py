import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from crm_integrations.models import ConnectionStatus, Integration, OrganizationIntegration
from crm_integrations.services import IntegrationUnavailable, upsert_organization_integration


def test_the_catalogue_is_seeded_by_migration(db):
    assert dict(Integration.objects.values_list("provider", "enabled")) == {
        "hubspot": True,
        "monday": True,
        "salesforce": False,
    }


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
    with pytest.raises(IntegrationUnavailable):
        upsert_organization_integration(organization, "salesforce", "production")
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
