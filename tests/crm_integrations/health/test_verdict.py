"""The verdict rules (crm_integrations/health.py): failing, degraded, healthy, each with its reason."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations import health, rollups
from crm_integrations.models import ProviderCircuitBreaker

from .factories import calls, connection


def facts(**fields) -> health.Facts:
    return health.Facts(**{"provider_name": "HubSpot", "status": "connected", **fields})


@pytest.mark.parametrize(
    ("fields", "level", "words"),
    [
        (
            {"status": "needs_reauth", "status_reason": "Token revoked"},
            "failing",
            "Needs reconnecting: Token revoked",
        ),
        ({"breaker_state": "open"}, "failing", "Circuit breaker open"),
        ({"limiter_failing_since": timezone.now()}, "failing", "rate limiter is failing"),
        (
            {
                "recent_calls": 10,
                "recent_errors": 6,
                "hour_calls": 10,
                "hour_errors": Counter({"server errors": 6}),
            },
            "failing",
            "6 of 10 calls failed in the last 15 minutes, mostly server errors",
        ),
        ({"breaker_state": "half-open"}, "degraded", "half-open"),
        (
            {"hour_calls": 100, "hour_errors": Counter({"rate limited": 8, "server errors": 2})},
            "degraded",
            "10% of calls failed in the last hour (8 rate limited, 2 server errors)",
        ),
        ({"hour_calls": 100, "budget_peak": 0.95}, "degraded", "Rate budget nearly spent: 95%"),
        ({"hour_calls": 100, "writes_failed": 3}, "degraded", "3 owner write-backs failed"),
        (
            {"hour_calls": 100, "hour_errors": Counter({"server errors": 5})},
            "healthy",
            "100 calls in the last hour, 5 failed",
        ),
        ({}, "healthy", "No calls in the last hour"),
        ({"status": "pending"}, "healthy", "Not connected yet (pending)"),
    ],
)
def test_each_rule_gives_its_level_and_reason(fields, level, words):
    verdict = health.judge(facts(**fields))
    assert verdict.level == level
    assert words in verdict.reason
    assert verdict.label == level.capitalize()


def test_few_calls_failing_do_not_make_a_connection_failing():
    verdict = health.judge(
        facts(recent_calls=2, recent_errors=2, hour_calls=2, hour_errors=Counter({"timeouts": 2}))
    )
    assert verdict.level == "degraded"


@pytest.mark.django_db
def test_connection_verdict_reads_the_minute_rollups_breaker_and_budget(organization, settings):
    settings.CRM_RATE_LIMITS = {"hubspot": [[100, 10]]}  # 600 a minute
    conn = connection(organization)
    now = timezone.now()
    calls(now.replace(second=0, microsecond=0) - timedelta(minutes=3), [200] * 20 + [503] * 30)
    rollups.roll_up_recent(now=now)
    verdict = health.connection_verdict(conn, now=now)
    assert (verdict.level, verdict.reason) == (
        "failing",
        "30 of 50 calls failed in the last 15 minutes, mostly server errors",
    )
    ProviderCircuitBreaker.objects.create(provider="hubspot", account="12345", state="open", opened_at=now)
    assert "Circuit breaker open since" in health.connection_verdict(conn, now=now).reason
    share = health.facts_for([conn], now=now)[conn.pk].budget_peak
    assert share == pytest.approx(50 / 600)  # 50 calls in one minute of a 600-a-minute budget
