"""In Chromium: the policy blocks injected inline script, the ``page`` fixture (tests/conftest.py)
catches the violation, and the scripts moved out of templates into static/ still work."""

from crm_integrations.models import Organization
from tests.browser_console import VIOLATION_PREFIX

INJECT_INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injected = true";
  document.body.appendChild(script);
}"""


def test_an_injected_inline_script_does_not_run_and_is_reported(admin_page, browser_console, live_server):
    with admin_page.expect_console_message(lambda message: VIOLATION_PREFIX in message.text):
        admin_page.evaluate(INJECT_INLINE_SCRIPT)

    assert admin_page.evaluate("() => window.injected") is None
    assert any("script-src" in violation for violation in browser_console.csp_violations())
    browser_console.messages.clear()  # the violation was the point: the fixture must not fail this test


def test_choosing_another_organization_on_the_integrations_page_switches_to_it(
    admin_page, live_server, catalogue
):
    Organization.objects.create(name="Acme Corp", slug="acme")
    other = Organization.objects.create(name="Globex", slug="globex")
    admin_page.goto(f"{live_server.url}/integrations/")

    with admin_page.expect_navigation():
        admin_page.select_option("#organization", str(other.pk))

    assert f"organization={other.pk}" in admin_page.url
    assert admin_page.locator("#organization option:checked").inner_text() == "Globex"
