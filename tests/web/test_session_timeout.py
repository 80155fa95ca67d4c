"""Staff sessions end after SESSION_IDLE_TIMEOUT without a request and SESSION_COOKIE_AGE after login
(config/session_timeout.py). The clock is moved by rewriting the times kept in the session."""

import time

import pytest
from django.urls import reverse

from config.session_timeout import LAST_SEEN_KEY, STARTED_KEY


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    assert client.get(reverse("admin:index")).status_code == 200  # the first request starts the clocks
    return client


def _move_clock(client, **ago: int) -> None:
    """Make the session's login (``started``) and last request (``seen``) that many seconds ago."""
    session = client.session
    now = int(time.time())
    session[STARTED_KEY] = now - ago.get("started", 0)
    session[LAST_SEEN_KEY] = now - ago.get("seen", 0)
    session.save()


def _is_logged_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_the_defaults_are_eight_hours_and_thirty_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60


def test_a_session_idle_longer_than_the_timeout_is_logged_out(staff_client, settings):
    _move_clock(
        staff_client, started=settings.SESSION_IDLE_TIMEOUT + 10, seen=settings.SESSION_IDLE_TIMEOUT + 1
    )

    assert _is_logged_out(staff_client.get(reverse("admin:index")))
    assert "_auth_user_id" not in staff_client.session
    assert _is_logged_out(staff_client.get(reverse("admin:index")))  # and stays so


def test_a_request_within_the_idle_timeout_keeps_the_session_and_restarts_the_idle_clock(
    staff_client, settings
):
    _move_clock(staff_client, started=600, seen=settings.SESSION_IDLE_TIMEOUT - 5)

    assert staff_client.get(reverse("admin:index")).status_code == 200
    assert int(time.time()) - staff_client.session[LAST_SEEN_KEY] < 5


def test_an_active_session_still_ends_the_session_age_after_login(staff_client, settings):
    _move_clock(staff_client, started=settings.SESSION_COOKIE_AGE + 1, seen=1)

    assert _is_logged_out(staff_client.get(reverse("admin:index")))
