"""Fixtures for the HTTP layer tests: a fake sleep, a private limiter file, a client factory."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm_integrations.core.http import HttpPolicy, ProviderHttpClient, SharedRateLimiter

from .support import BASE_URL, FakeSleep, make_policy


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def limiter_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}"


@pytest.fixture
def make_client(db, fake_sleep, limiter_url) -> Callable[..., ProviderHttpClient]:
    """A HubSpot-like client on the test database, a private limiter file and the fake sleep."""

    def make(
        account: str = "12345", *, policy: HttpPolicy | None = None, **kwargs: object
    ) -> ProviderHttpClient:
        policy = policy or make_policy()
        kwargs.setdefault(
            "limiter",
            SharedRateLimiter(
                storage_url=limiter_url,
                budgets={"hubspot": [[100, 10]]},
                max_inline_wait=policy.max_inline_wait,
                sleep=fake_sleep,
            ),
        )
        kwargs.setdefault("rate_limit_key", "hubspot")
        return ProviderHttpClient("hubspot", account, BASE_URL, policy=policy, sleep=fake_sleep, **kwargs)

    return make
