"""Admin login throttling (django-axes, config/settings/base.py): a username is refused from an address
after LOGIN_FAILURE_LIMIT wrong passwords, with a clear page (config/lockout.py), until staff unlock it.

Everything goes through the real login form: Django's test client POSTs with a request, as a browser does.
"""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)


def _log_in(client, password: str, **meta: str):
    return client.post(reverse("admin:login"), {"username": "staff", "password": password}, **meta)


def _fail_until_locked(client, settings, **meta: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _log_in(client, "wrong", **meta)
        assert (
            response.status_code == 200 and "Please enter the correct username" in response.content.decode()
        )
    assert _log_in(client, "wrong", **meta).status_code == 429  # the limit-th failure locks


def test_after_the_failure_limit_even_the_right_password_is_refused_with_a_clear_message(
    client, staff_user, settings
):
    _fail_until_locked(client, settings)

    response = _log_in(client, PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page and "“staff”" in page and "15 minutes" in page
    assert "Access attempts" in page  # how to get unlocked
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, staff_user, django_user_model, settings):
    django_user_model.objects.create_superuser("other", "other@example.com", PASSWORD)
    _fail_until_locked(client, settings)

    other_user = client.post(reverse("admin:login"), {"username": "other", "password": PASSWORD})
    from_elsewhere = _log_in(client, PASSWORD, REMOTE_ADDR="198.51.100.20")

    assert other_user.status_code == 302
    assert from_elsewhere.status_code == 302


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, staff_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    _fail_until_locked(client, settings, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    # A forged left-most entry changes nothing: the proxy appended the real address on the right.
    spoofed = _log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.7", **proxy)
    # Another client behind the same proxy is not locked out.
    neighbour = _log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)

    assert spoofed.status_code == 429
    assert neighbour.status_code == 302


def test_staff_unlock_it_in_the_admin(client, staff_user, django_user_model, settings):
    _fail_until_locked(client, settings)
    attempt = AccessAttempt.objects.get(username="staff")
    colleague = django_user_model.objects.create_superuser("colleague", "c@example.com", "another-pass")
    admin_client = client.__class__()
    admin_client.force_login(colleague)

    listed = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    deleted = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert listed.status_code == 200 and "staff" in listed.content.decode()
    assert deleted.status_code == 302
    assert _log_in(client, PASSWORD).status_code == 302
