"""A CRM's daily API allocation (crm_integrations/core/allocation.py) on the health views: the words,
the verdict past 90 %, the page, its JSON (and OpenAPI schema) and ``/metrics``. The provider's hook
(``CrmProvider.daily_allocation``) is stubbed on a HubSpot connection here: the views are generic;
tests/crm_integrations/salesforce/test_allocation*.py drive the real one."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from crm_integrations import health
from crm_integrations.core import registry
from crm_integrations.core.allocation import AllocationReading

from .factories import connection

API = "/api/v1/health/"


def reading(used: int, allocation: int = 15_000, pause_share: float | None = 0.8) -> AllocationReading:
    return AllocationReading(
        used=used, allocation=allocation, seen_at=timezone.now(), pause_share=pause_share
    )


@pytest.fixture
def metered(monkeypatch):
    """HubSpot's provider reports the reading ``readings["now"]`` (None: it meters no day)."""
    readings: dict[str, AllocationReading | None] = {"now": None}
    provider = type(registry.get_provider("hubspot"))
    monkeypatch.setattr(provider, "daily_allocation", lambda self, connection: readings["now"])
    return readings


def test_the_reading_in_words():
    assert reading(1_234).summary() == "1,234 of 15,000 used (8%)"
    assert reading(1_234).pause_note() == "" and reading(1_234).pause_reason() is None
    spent = reading(12_750)
    assert spent.pause_note() == "Backfills paused at 80% of the allocation"
    assert spent.pause_reason() == "the CRM's daily API allocation is 85% used; backfills stop at 80%."
    assert reading(14_999, pause_share=None).pause_reason() is None  # a provider that never pauses
    assert reading(5, allocation=0).share == 0.0
    old = AllocationReading(14_000, 15_000, timezone.now() - timedelta(minutes=61), pause_share=0.8)
    assert old.pause_reason() is None  # an hour on, the rolling day has moved: the next call reads again


def test_by_default_a_provider_meters_no_day_and_never_pauses():
    hubspot = SimpleNamespace(provider="hubspot")
    assert registry.get_provider("hubspot").daily_allocation(hubspot) is None
    assert registry.non_urgent_paused(hubspot) is None
    assert registry.non_urgent_paused(SimpleNamespace(provider="gone")) is None  # no longer registered


def test_the_hook_pauses_past_the_share(metered):
    hubspot = SimpleNamespace(provider="hubspot")
    metered["now"] = reading(11_000)
    assert registry.non_urgent_paused(hubspot) is None
    metered["now"] = reading(12_000)
    assert registry.non_urgent_paused(hubspot) == (
        "the CRM's daily API allocation is 80% used; backfills stop at 80%."
    )


def test_the_verdict_is_degraded_past_ninety_percent():
    facts = health.Facts(
        provider_name="HubSpot", status="connected", hour_calls=10, allocation=reading(13_950)
    )
    assert health.judge(facts).as_dict() == {
        "level": "degraded",
        "label": "Degraded",
        "reason": "93% of the daily API allocation used",
    }
    facts.allocation = reading(13_000)  # 87%: backfills wait, the connection is still healthy
    assert health.judge(facts).level == "healthy"
    facts.allocation = AllocationReading(13_950, 15_000, timezone.now() - timedelta(hours=2))
    assert health.judge(facts).level == "healthy"  # an old figure says nothing about now


@pytest.mark.django_db
def test_the_json_the_page_and_the_metrics_show_the_reading(admin_client, organization, metered):
    row = connection(organization, "111")
    assert admin_client.get(API).json()["connections"][0]["allocation"] is None  # nothing read yet
    page = admin_client.get(reverse("crm_integrations:provider_health"), {"organization": organization.pk})
    assert '<p class="allocation" hidden>' in page.content.decode()

    metered["now"] = reading(1_234)
    data = admin_client.get(API).json()["connections"][0]["allocation"]
    assert data["summary"] == "1,234 of 15,000 used (8%)" and data["used"] == 1_234
    assert data["allocation"] == 15_000 and data["pause_note"] == "" and data["non_urgent_paused"] is False

    metered["now"] = reading(12_750)
    data = admin_client.get(API).json()["connections"][0]
    assert data["allocation"]["non_urgent_paused"] is True
    assert data["verdict"]["level"] == "healthy"
    html = admin_client.get(
        reverse("crm_integrations:provider_health"), {"organization": organization.pk}
    ).content.decode()
    assert "Daily API allocation:" in html and "12,750 of 15,000 used (85%)" in html
    assert "Backfills paused at 80% of the allocation" in html
    assert 'value="0.85"' in html and 'low="0.8"' in html and 'high="0.9"' in html

    metrics = admin_client.get("/metrics").content.decode()
    labels = f'connection="{row.pk}",organization="{organization.slug}",provider="hubspot"'
    assert f"lead_routing_daily_api_allocation{{{labels}}} 15000.0" in metrics
    assert f"lead_routing_daily_api_allocation_used{{{labels}}} 12750.0" in metrics


@pytest.mark.django_db
def test_the_allocation_is_in_the_openapi_schema(admin_client):
    schema = admin_client.get(reverse("schema"), {"format": "json"}).json()
    fields = schema["components"]["schemas"]["ConnectionHealth"]["properties"]
    assert fields["allocation"]["nullable"] is True and "pause_share" in fields["allocation"]["description"]
