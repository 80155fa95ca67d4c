"""Constants and helpers shared by the HTTP layer tests."""

from __future__ import annotations

from crm_integrations.core.http import HttpPolicy

BASE_URL = "https://api.hubapi.com"
TEMPLATE = "/crm/v3/objects/{objectType}/{objectId}"
PATH_PARAMS = {"objectType": "leads", "objectId": "7"}
URL = f"{BASE_URL}/crm/v3/objects/leads/7"


class FakeSleep:
    """Records what it was asked to sleep instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_policy(**overrides: object) -> HttpPolicy:
    values: dict = {
        "connect_timeout": 1.5,
        "read_timeout": 7.0,
        "max_attempts": 3,
        "backoff_base": 0.1,
        "backoff_max": 1.0,
        "max_inline_wait": 10.0,
        "breaker_fail_max": 5,
        "breaker_reset_timeout": 30.0,
        "rate_limit_remaining_header": "X-HubSpot-RateLimit-Remaining",
        "rate_limit_interval_ms_header": "X-HubSpot-RateLimit-Interval-Milliseconds",
    }
    return HttpPolicy(**{**values, **overrides})
