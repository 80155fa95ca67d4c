"""Salesforce's daily API allocation through the provider contract's hooks
(``CrmProvider.daily_allocation`` / ``non_urgent_paused``): the last ``Sforce-Limit-Info`` reading,
with the share at which backfills pause (``SALESFORCE_NON_URGENT_SHARE``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from django.core.cache import cache

from crm_integrations.core import registry
from crm_integrations.salesforce import limits

ACCOUNT = "00D0000000ALLOCAAA"


@pytest.fixture
def org():
    cache.delete(limits._key(ACCOUNT))
    yield SimpleNamespace(provider="salesforce", external_account_id=ACCOUNT)
    cache.delete(limits._key(ACCOUNT))


def answer(limit_info: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["Sforce-Limit-Info"] = limit_info
    return response


def test_no_reading_before_the_first_answer(org):
    assert registry.get_provider("salesforce").daily_allocation(org) is None
    assert registry.non_urgent_paused(org) is None


def test_the_last_answer_is_the_reading_and_backfills_pause_at_the_share(org, settings):
    provider = registry.get_provider("salesforce")
    limits.record(ACCOUNT, answer("api-usage=1234/15000; per-app-api-usage=17/2000(appName=Lead Routing)"))
    reading = provider.daily_allocation(org)
    assert (reading.used, reading.allocation, reading.pause_share) == (1234, 15000, 0.8)
    assert reading.summary() == "1,234 of 15,000 used (8%)"
    assert registry.non_urgent_paused(org) is None

    limits.record(ACCOUNT, answer("api-usage=12750/15000"))
    assert (
        registry.non_urgent_paused(org)
        == "the CRM's daily API allocation is 85% used; backfills stop at 80%."
    )

    settings.SALESFORCE_NON_URGENT_SHARE = 0.9  # the setting moves the line
    assert registry.non_urgent_paused(org) is None
    assert provider.daily_allocation(org).pause_note() == ""
