"""A rate limiter that keeps failing shows on the connection and in the log, and clears once it works."""

from __future__ import annotations

import logging

import pytest
import responses
from django.urls import reverse

from crm_integrations.core.errors import RateLimited
from crm_integrations.core.http import SharedRateLimiter
from crm_integrations.core.http.limiter_health import LOG_EVERY, RECHECK_EVERY, LimiterHealth
from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import upsert_organization_integration

from .support import PATH_PARAMS, TEMPLATE, URL


@pytest.fixture
def connection(organization) -> OrganizationIntegration:
    return upsert_organization_integration(
        organization, "hubspot", "production", status="connected", external_account_id="12345"
    )


@pytest.fixture
def blocked(tmp_path):
    """A limiter file under a path that is a plain file: every open fails with an OSError."""
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    return blocker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@responses.activate
def test_a_failing_limiter_is_shown_on_the_connection_logged_once_and_cleared_when_it_works(
    make_client, connection, blocked, fake_sleep, caplog, admin_client, organization
):
    responses.add(responses.GET, URL, json={"id": "7"})
    limiter = SharedRateLimiter(
        f"sqlite:///{blocked / 'ratelimit.sqlite3'}",
        {"hubspot": [[100, 10]]},
        max_inline_wait=5,
        sleep=fake_sleep,
    )
    client = make_client(limiter=limiter)
    caplog.set_level(logging.WARNING, logger="crm_integrations.http")

    for _ in range(3):
        with pytest.raises(RateLimited) as raised:
            client.request("GET", TEMPLATE, path_params=PATH_PARAMS)
        assert raised.value.code == "rate_limiter_unavailable"
    assert len(responses.calls) == 0  # nothing went out unmetered

    connection.refresh_from_db()
    assert connection.rate_limiter_failing_since is not None
    assert (
        "NotADirectoryError" in connection.rate_limiter_error
        or "FileExistsError" in connection.rate_limiter_error
    )
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "Rate limiter for hubspot:12345 is failing since" in errors[0].getMessage()

    page = admin_client.get(reverse("crm_integrations:integrations"), {"organization": organization.pk})
    assert "our rate limiter has been failing since" in page.content.decode()

    blocked.unlink()  # the storage comes back
    client.request("GET", TEMPLATE, path_params=PATH_PARAMS)
    connection.refresh_from_db()
    assert (connection.rate_limiter_failing_since, connection.rate_limiter_error) == (None, "")
    assert "works again" in caplog.text
    page = admin_client.get(reverse("crm_integrations:integrations"), {"organization": organization.pk})
    assert "rate limiter has been failing" not in page.content.decode()


def test_another_process_clears_the_mark_within_the_recheck_interval(connection, django_assert_num_queries):
    clock = Clock()
    failing, working = LimiterHealth(clock), LimiterHealth(clock)
    failing.failed("hubspot", "12345", ConnectionError("WRONGTYPE Operation against a key"))
    assert OrganizationIntegration.objects.get().rate_limiter_failing_since is not None

    working.worked("hubspot", "12345")  # its first call checks at once
    assert OrganizationIntegration.objects.get().rate_limiter_failing_since is None

    failing.failed("hubspot", "12345", ConnectionError("again"))
    clock.now += RECHECK_EVERY / 2
    with django_assert_num_queries(0):  # a working limiter does not query on every call
        working.worked("hubspot", "12345")
    assert OrganizationIntegration.objects.get().rate_limiter_failing_since is not None
    clock.now += RECHECK_EVERY
    working.worked("hubspot", "12345")
    assert OrganizationIntegration.objects.get().rate_limiter_failing_since is None


def test_the_error_is_logged_again_after_the_interval_and_keeps_its_start(connection, caplog):
    clock = Clock()
    health = LimiterHealth(clock)
    caplog.set_level(logging.ERROR, logger="crm_integrations.http")
    health.failed("hubspot", "12345", ConnectionError("first"))
    since = OrganizationIntegration.objects.get().rate_limiter_failing_since
    clock.now += LOG_EVERY - 1
    health.failed("hubspot", "12345", ConnectionError("second"))
    assert len(caplog.records) == 1
    clock.now += 2
    health.failed("hubspot", "12345", ConnectionError("third"))
    assert len(caplog.records) == 2
    row = OrganizationIntegration.objects.get()
    assert row.rate_limiter_failing_since == since and "first" in row.rate_limiter_error


def test_the_stored_error_never_holds_a_secret(connection):
    LimiterHealth().failed(
        "hubspot", "12345", ConnectionError("Error connecting to redis://user:hunter2secret@cache:6379/2")
    )
    assert "hunter2secret" not in OrganizationIntegration.objects.get().rate_limiter_error
