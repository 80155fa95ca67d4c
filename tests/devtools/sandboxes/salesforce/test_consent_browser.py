"""The sandbox's consent page in Chromium (devtools/sandboxes/salesforce/templates/consent.html): the
scopes, the user who signs in, Approve and Deny; Approve lands on the callback with a code and the state."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from devtools.sandboxes.salesforce.seed import REP_IDS

SHOTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screenshots"
CALLBACK = "http://127.0.0.1:9/api/v1/integrations/salesforce/callback"  # never answered: only the URL counts


def _authorize_url(sandbox) -> str:
    query = {
        "response_type": "code",
        "client_id": "sandbox-salesforce-client-id",
        "redirect_uri": CALLBACK,
        "scope": "api refresh_token",
        "state": "browser-state",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    }
    return f"{sandbox.base_url}/services/oauth2/authorize?{urlencode(query)}"


def test_approve_redirects_with_a_code_for_the_chosen_user(sandbox, page):
    page.goto(_authorize_url(sandbox))
    assert page.inner_text("h1") == "Allow Access?"
    assert page.inner_text("#scopes").split() == ["api", "refresh_token"]
    page.select_option("#user", REP_IDS[1])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "salesforce-sandbox-consent.png"), full_page=True)
    with page.expect_request(lambda request: request.url.startswith(CALLBACK)) as redirected:
        page.click("#approve")
    query = parse_qs(urlsplit(redirected.value.url).query)
    assert query["state"] == ["browser-state"] and query["code"][0].startswith("aPrx")


def test_deny_redirects_with_access_denied(sandbox, page):
    page.goto(_authorize_url(sandbox))
    with page.expect_request(lambda request: request.url.startswith(CALLBACK)) as redirected:
        page.click("#deny")
    assert parse_qs(urlsplit(redirected.value.url).query)["error"] == ["access_denied"]
