"""The provider health page, its JSON endpoint (staff only, scoped per organization, in the OpenAPI
schema) and ``/metrics`` (a staff session or the METRICS_TOKEN bearer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from crm_integrations import rollups
from crm_integrations.models import Membership, Organization

from .factories import calls, connection

pytestmark = pytest.mark.django_db
API = "/api/v1/health/"


@pytest.fixture
def two_organizations(organization):
    other = Organization.objects.create(name="Other Co", slug="other")
    mine, theirs = connection(organization, "111"), connection(other, "222")
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    calls(start, [200, 200, 429, 503], account="111")
    calls(start, [200], account="222")
    rollups.roll_up_recent()
    return mine, theirs


def staff(client, organization, *, is_staff=True):
    user = get_user_model().objects.create_user("mo", "mo@example.com", "pw", is_staff=is_staff)
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.MEMBER)
    client.force_login(user)
    return client


def test_the_json_shows_a_members_own_connections_only(client, organization, two_organizations):
    mine, _ = two_organizations
    data = staff(client, organization).get(API).json()
    assert [row["id"] for row in data["connections"]] == [str(mine.pk)]
    row = data["connections"][0]
    assert row["calls_total"] == 4
    assert row["error_totals"]["Rate limited"] == 1 and row["error_totals"]["Server errors (5xx)"] == 1
    assert row["verdict"]["level"] == "degraded" and "50% of calls failed" in row["verdict"]["reason"]
    assert row["endpoints"][0]["endpoint"] == "/crm/v3/objects/{objectType}/{objectId}"
    assert len(data["labels"]) == len(row["calls_per_minute"]) == 60
    other = Organization.objects.get(slug="other")
    assert client.get(API, {"organization": other.pk}).json()["connections"] == []


def test_the_json_is_for_staff_only(client, organization, two_organizations):
    assert client.get(API).status_code in (401, 403)
    assert staff(client, organization, is_staff=False).get(API).status_code == 403


def test_a_superuser_sees_every_organization_per_day_and_week(admin_client, two_organizations):
    for period in ("day", "week"):
        data = admin_client.get(API, {"period": period}).json()
        assert {row["organization"]["name"] for row in data["connections"]} == {"Acme Corp", "Other Co"}
        assert sum(row["calls_total"] for row in data["connections"]) == 5
        assert len(data["labels"]) == (24 if period == "day" else 168)


def test_the_endpoint_is_in_the_openapi_schema(admin_client):
    schema = admin_client.get(reverse("schema"), {"format": "json"}).json()
    assert "get" in schema["paths"][API]
    assert schema["paths"][API]["get"]["operationId"] == "provider_health"


def test_the_page_shows_each_connection_with_its_verdict_and_is_linked(
    client, organization, two_organizations
):
    client = staff(client, organization)
    page = client.get(reverse("crm_integrations:provider_health")).content.decode()
    mine, theirs = two_organizations
    assert f'id="health-{mine.pk}"' in page and str(theirs.pk) not in page
    assert "Degraded" in page and "chart-4.6.2.umd.min.js" in page and 'id="health-data"' in page
    assert "<script>" not in page  # no inline script: the data is JSON (json_script), the code static
    assert reverse("crm_integrations:provider_health") in client.get(reverse("admin:index")).content.decode()
    integrations = client.get(reverse("crm_integrations:integrations")).content.decode()
    assert f"#health-{mine.pk}" in integrations


def test_a_superuser_sees_every_organization_then_one_with_its_charts(admin_client, two_organizations):
    url = reverse("crm_integrations:provider_health")
    page = admin_client.get(url).content.decode()
    assert page.count('class="health-org"') == 2
    mine, theirs = two_organizations
    assert f'id="health-{mine.pk}"' in page and f'id="health-{theirs.pk}"' in page
    assert "Degraded" in page and "chart-calls" not in page  # one line each; the charts one click away
    one = admin_client.get(url, {"organization": mine.organization_id}).content.decode()
    assert "chart-calls" in one and str(theirs.pk) not in one


def test_metrics_need_a_staff_session_or_the_token(client, settings, two_organizations):
    settings.METRICS_TOKEN = "scrape-me-0123456789"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-0123456789")
    assert response.status_code == 200
    text = response.content.decode()
    mine, theirs = two_organizations
    labels = f'connection="{mine.pk}",organization="acme",provider="hubspot"'
    assert f"lead_routing_api_calls_last_hour{{{labels}}} 4.0" in text
    assert f'connection="{theirs.pk}"' in text
    assert 'kind="Rate limited"' in text and "lead_routing_connection_health" in text
    assert "scrape-me" not in text and "access_token" not in text


def test_metrics_for_staff_show_their_organizations_only(client, organization, two_organizations):
    text = staff(client, organization).get("/metrics").content.decode()
    mine, theirs = two_organizations
    assert str(mine.pk) in text and str(theirs.pk) not in text


def test_metrics_with_no_token_set_refuse_any_bearer(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
