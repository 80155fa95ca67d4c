"""The connection's "Choose contract stages" page: the org's opportunity stages from ``describe``, the
chosen ones stored on the connection; only the organization's administrators, only their connection."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm_integrations.core import registry
from crm_integrations.models import Membership, Organization
from crm_integrations.services import upsert_organization_integration

from .conftest import DATA

pytestmark = pytest.mark.django_db

DESCRIBE = f"{DATA}/sobjects/Opportunity/describe"
STAGES = ["Prospecting", "Negotiation/Review", "Closed Won"]


def describe_answer() -> dict:
    return {
        "name": "Opportunity",
        "fields": [
            {
                "name": "StageName",
                "label": "Stage",
                "type": "picklist",
                "updateable": True,
                "picklistValues": [{"value": stage, "label": stage, "active": True} for stage in STAGES],
            }
        ],
    }


def page_url(connection) -> str:
    url = reverse("crm_integrations:salesforce:choose_contract_stages", args=[connection.pk])
    return f"{url}?organization={connection.organization_id}"


@pytest.fixture
def administrator(client, django_user_model, offline_connection):
    user = django_user_model.objects.create_user("ada", "ada@example.com", "pw", is_staff=True)
    Membership.objects.create(
        user=user, organization=offline_connection.organization, role=Membership.Role.ADMIN
    )
    client.force_login(user)
    return user


def test_the_stages_are_listed_and_the_chosen_ones_stored(client, administrator, offline_connection, mocked):
    mocked.get(DESCRIBE, json=describe_answer())
    mocked.get(DESCRIBE, json=describe_answer())

    shown = client.get(page_url(offline_connection))
    answer = client.post(
        page_url(offline_connection),
        {"organization": offline_connection.organization_id, "stage": ["Negotiation/Review", "Closed Won"]},
    )

    assert shown.status_code == 200 and all(stage in shown.content.decode() for stage in STAGES)
    assert answer.status_code == 302
    offline_connection.refresh_from_db()
    assert offline_connection.settings["contract_stages"] == ["Negotiation/Review", "Closed Won"]
    assert offline_connection.settings["instance_url"]  # the rest of the settings kept
    client_ = registry.get_client(offline_connection)
    assert client_.polls_deals() and client_.deals.contract_stages == ("Negotiation/Review", "Closed Won")
    [action] = registry.get_provider("salesforce").setup_actions(offline_connection)
    assert action.label == "Change contract stages"


def test_a_stage_the_org_does_not_have_is_refused(client, administrator, offline_connection, mocked):
    mocked.get(DESCRIBE, json=describe_answer())

    answer = client.post(
        page_url(offline_connection),
        {"organization": offline_connection.organization_id, "stage": ["Won-ish"]},
    )

    assert answer.status_code == 200 and "no opportunity stage “Won-ish”" in answer.content.decode()
    offline_connection.refresh_from_db()
    assert "contract_stages" not in offline_connection.settings


def test_another_organizations_connection_is_not_found(client, administrator, offline_connection):
    other = Organization.objects.create(name="Other")
    theirs = upsert_organization_integration(
        other,
        "salesforce",
        "production",
        status="connected",
        external_account_id="00D000000000002AAA",
        access_token="theirs",
        settings={"instance_url": "https://other.my.salesforce.test"},
    )

    url = reverse("crm_integrations:salesforce:choose_contract_stages", args=[theirs.pk])
    assert client.get(f"{url}?organization={offline_connection.organization_id}").status_code == 404


def test_a_member_may_not_choose(client, django_user_model, offline_connection):
    user = django_user_model.objects.create_user("bob", "bob@example.com", "pw", is_staff=True)
    Membership.objects.create(
        user=user, organization=offline_connection.organization, role=Membership.Role.MEMBER
    )
    client.force_login(user)

    assert client.get(page_url(offline_connection)).status_code == 403
