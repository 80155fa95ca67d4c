"""Disconnect asks first (crm_integrations/views/integrations.py): the page says what will stop, for
this CRM, and nothing changes until the admin confirms."""

from unittest import mock

import pytest
from django.urls import reverse

from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import upsert_organization_integration


@pytest.fixture
def staff_client(client, django_user_model, organization):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    organization.memberships.create(user=user, role="admin")
    client.force_login(user)
    return client


def connect(organization, provider, **tokens):
    return upsert_organization_integration(
        organization, provider, "sandbox", status="connected", external_account_id="77", **tokens
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_asking_shows_what_will_stop_and_changes_nothing(staff_client, organization, method):
    connection = connect(organization, "hubspot", access_token="a", refresh_token="r")
    with mock.patch("crm_integrations.services.disconnect_connection") as disconnect:
        response = getattr(staff_client, method)(reverse("crm_integrations:disconnect", args=[connection.pk]))

    page = response.content.decode()
    assert response.status_code == 200 and not disconnect.called
    assert "Webhooks from HubSpot are no longer taken in" in page and "Polling stops" in page
    assert "no longer written back to HubSpot" in page
    assert "no longer become contracts" in page  # HubSpot's workflows create contracts
    assert "HubSpot is asked to revoke our access" in page
    assert 'name="confirm" value="yes"' in page
    assert OrganizationIntegration.objects.get(pk=connection.pk).status == "connected"


def test_a_crm_that_cannot_revoke_is_named_as_such_before_disconnecting(staff_client, organization):
    connection = connect(organization, "monday", access_token="tok")  # no refresh token
    page = staff_client.get(reverse("crm_integrations:disconnect", args=[connection.pk])).content.decode()
    assert "offers no way to revoke it from outside" in page and "asked to revoke" not in page
    assert "no longer become contracts" not in page  # monday has no workflow webhooks


def test_confirming_disconnects(staff_client, organization):
    connection = connect(organization, "monday", access_token="tok")
    response = staff_client.post(
        reverse("crm_integrations:disconnect", args=[connection.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("crm_integrations:integrations")
    assert OrganizationIntegration.objects.get(pk=connection.pk).status == "disconnected"
