"""OAuth as the sandbox runs it (devtools/sandboxes/salesforce/oauth.py): the consent page with PKCE and
``state``, the token answer without ``expires_in``, refresh with and without rotation, introspection,
revocation and the identity URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from devtools.sandboxes.salesforce.seed import ADMIN_ID, REP_IDS

from .conftest import soql

REDIRECT = "http://127.0.0.1:8000/api/v1/integrations/salesforce/callback"
CLIENT = {"client_id": "sandbox-salesforce-client-id", "client_secret": "sandbox-salesforce-client-secret"}
VERIFIER = "a-long-enough-code-verifier-for-pkce-0123456789abcdefghijklmnop"


def challenge(verifier: str = VERIFIER) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def consent(
    sandbox, decision: str = "approve", user_id: str | None = None, **params: str
) -> dict[str, list[str]]:
    """Open the consent page, answer it, and return the callback's query parameters."""
    query = {"response_type": "code", "client_id": CLIENT["client_id"], "redirect_uri": REDIRECT}
    query.update({"scope": "api refresh_token", "state": "st-42", "code_challenge": challenge(), **params})
    page = requests.get(f"{sandbox.base_url}/services/oauth2/authorize", params=query, timeout=10)
    assert page.status_code == 200 and 'id="approve"' in page.text and 'id="deny"' in page.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    form = {"request_id": request_id, "decision": decision, "user_id": user_id or ADMIN_ID}
    answer = requests.post(
        f"{sandbox.base_url}/services/oauth2/authorize/decision", data=form, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT)
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def token_call(sandbox, **form: str) -> requests.Response:
    return requests.post(f"{sandbox.base_url}/services/oauth2/token", data={**CLIENT, **form}, timeout=10)


def exchange(sandbox, code: str, verifier: str | None = VERIFIER) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        form["code_verifier"] = verifier
    return token_call(sandbox, **form)


def test_web_server_flow_with_pkce(sandbox):
    callback = consent(sandbox, user_id=REP_IDS[0])
    assert callback["state"] == ["st-42"]
    answer = exchange(sandbox, callback["code"][0])
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert "expires_in" not in body
    assert body["instance_url"] == sandbox.base_url and body["token_type"] == "Bearer"
    assert body["id"] == f"{sandbox.base_url}/id/{sandbox.org_id}/{REP_IDS[0]}"
    assert re.fullmatch(r"\d{13}", body["issued_at"])  # milliseconds, as a string
    expected = hmac.new(
        CLIENT["client_secret"].encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    )
    assert body["signature"] == base64.b64encode(expected.digest()).decode()
    identity = requests.get(
        body["id"], headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    ).json()
    assert (identity["organization_id"], identity["user_id"], identity["display_name"]) == (
        sandbox.org_id,
        REP_IDS[0],
        "Avery Quinn",
    )
    assert soql(sandbox, body["access_token"], "SELECT Id FROM User LIMIT 1").status_code == 200
    again = exchange(sandbox, callback["code"][0])  # codes are single use
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_deny_and_bad_requests(sandbox):
    assert consent(sandbox, "deny") == {
        "error": ["access_denied"],
        "error_description": ["end-user denied authorization"],
        "state": ["st-42"],
    }
    wrong_client = requests.get(
        f"{sandbox.base_url}/services/oauth2/authorize",
        params={"response_type": "code", "client_id": "nope", "redirect_uri": REDIRECT},
        timeout=10,
    )
    assert wrong_client.status_code == 400 and "invalid_client_id" in wrong_client.text
    elsewhere = requests.get(
        f"{sandbox.base_url}/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT["client_id"],
            "redirect_uri": "https://evil.example/cb",
        },
        timeout=10,
    )
    assert elsewhere.status_code == 400 and "redirect_uri_mismatch" in elsewhere.text
    bad_secret = token_call(sandbox, grant_type="refresh_token", refresh_token="x", client_secret="wrong")
    assert bad_secret.json() == {"error": "invalid_client", "error_description": "invalid client credentials"}


@pytest.mark.parametrize(
    ("verifier", "error"),
    [
        ("a-different-verifier-of-enough-length-0123456789abcdefghijklmnopq", "invalid_request"),
        (None, "invalid_grant"),
    ],
)
def test_pkce_failures(sandbox, verifier, error):
    code = consent(sandbox)["code"][0]
    refused = exchange(sandbox, code, verifier)
    assert refused.status_code == 400 and refused.json()["error"] == error


def test_refresh_without_rotation_keeps_the_refresh_token(sandbox):
    granted = exchange(sandbox, consent(sandbox)["code"][0]).json()
    refreshed = token_call(sandbox, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json() and "expires_in" not in refreshed.json()
    assert refreshed.json()["access_token"] != granted["access_token"]
    twice = token_call(sandbox, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert twice.status_code == 200


def test_refresh_with_rotation_kills_the_old_refresh_token(sandbox):
    sandbox.control.configure(refresh_token_rotation=True)
    granted = exchange(sandbox, consent(sandbox)["code"][0]).json()
    rotated = token_call(sandbox, grant_type="refresh_token", refresh_token=granted["refresh_token"]).json()
    assert rotated["refresh_token"] != granted["refresh_token"]
    stale = token_call(sandbox, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert stale.status_code == 400
    assert stale.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}
    assert (
        token_call(sandbox, grant_type="refresh_token", refresh_token=rotated["refresh_token"]).status_code
        == 200
    )


def test_introspection_and_revocation(sandbox):
    granted = exchange(sandbox, consent(sandbox)["code"][0]).json()
    url = f"{sandbox.base_url}/services/oauth2/introspect"
    active = requests.post(
        url, data={**CLIENT, "token": granted["access_token"], "token_type_hint": "access_token"}, timeout=10
    ).json()
    assert active["active"] is True and active["exp"] - active["iat"] == 7200
    assert active["sub"] == granted["id"] and active["scope"] == "api refresh_token"
    revoke = requests.post(
        f"{sandbox.base_url}/services/oauth2/revoke", data={"token": granted["refresh_token"]}, timeout=10
    )
    assert revoke.status_code == 200
    assert soql(sandbox, granted["access_token"], "SELECT Id FROM User").status_code == 401  # revoked with it
    assert requests.post(url, data={**CLIENT, "token": granted["access_token"]}, timeout=10).json() == {
        "active": False
    }
    refresh = token_call(sandbox, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"
    unknown = requests.post(f"{sandbox.base_url}/services/oauth2/revoke", data={"token": "nope"}, timeout=10)
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_token"


def test_introspection_can_be_refused_as_for_an_app_not_allowed_to_introspect(sandbox):
    token = sandbox.control.access_token()
    form = {**CLIENT, "token": token, "token_type_hint": "access_token"}
    url = f"{sandbox.base_url}/services/oauth2/introspect"

    sandbox.control.configure(introspection="inactive")
    inactive = requests.post(url, data=form, timeout=10)
    sandbox.control.configure(introspection="forbidden")
    forbidden = requests.post(url, data=form, timeout=10)
    sandbox.control.configure(introspection="allowed")
    allowed = requests.post(url, data=form, timeout=10).json()
    bad = requests.patch(f"{sandbox.base_url}/_sandbox/config", json={"introspection": "maybe"}, timeout=10)

    assert (inactive.status_code, inactive.json()) == (200, {"active": False})
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "insufficient_access"
    assert allowed["active"] is True and allowed["exp"] > allowed["iat"]
    assert bad.status_code == 400


def test_no_refresh_token_without_the_scope(sandbox):
    granted = exchange(sandbox, consent(sandbox, scope="api")["code"][0]).json()
    assert "refresh_token" not in granted and granted["scope"] == "api"
