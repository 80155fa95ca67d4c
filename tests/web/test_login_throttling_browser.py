"""The lockout page in a real browser: what a person sees after too many wrong passwords."""

import pytest

from tests.conftest import SCREENSHOTS


@pytest.mark.django_db(transaction=True)
def test_a_locked_out_login_shows_why_and_how_to_get_unlocked(page, live_server, django_user_model, settings):
    django_user_model.objects.create_superuser("staff", "staff@example.com", "correct-horse-battery")
    page.set_viewport_size({"width": 1366, "height": 768})
    for password in ["wrong"] * settings.AXES_FAILURE_LIMIT + ["correct-horse-battery"]:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "staff")
        page.fill("#id_password", password)
        page.click("input[type=submit]")

    message = page.inner_text("#login-locked")
    assert "Too many failed logins" in message and "“staff”" in message
    assert "Access attempts" in page.inner_text("#content-main")
    assert page.locator("#site-name").count() == 1  # in the admin's own look
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login-locked.png"), full_page=True)
