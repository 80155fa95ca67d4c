"""Constants and helpers shared by the HTTP layer tests."""

from __future__ import annotations

import threading

import pytest

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


def threads_calling(monkeypatch: pytest.MonkeyPatch, owner: type, method: str) -> list[str]:
    """The names of the threads that call ``owner.method`` from now on (it still runs): which
    calls went out from the pool of crm_integrations/core/http/concurrent.py."""
    names: list[str] = []
    original = getattr(owner, method)

    def noting_the_thread(self: object, *args: object, **kwargs: object) -> object:
        names.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, noting_the_thread)
    return names
