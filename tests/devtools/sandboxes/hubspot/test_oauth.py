"""OAuth over real HTTP: consent, PKCE code exchange, refresh, expiry, introspection, revocation, scopes."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .conftest import Api

CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
REDIRECT = "http://127.0.0.1:8000/oauth/callback/hubspot/"
SCOPES = "oauth crm.objects.leads.read crm.objects.contacts.read"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def consent(base_url: str, *, decision: str = "approve", challenge: str | None = None, **overrides: str):
    """Open the authorize URL, read the consent form, press the ``decision`` button (no redirect follow)."""
    params = {"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT, "scope": SCOPES, "state": "xyz-123"}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(overrides)
    page = requests.get(f"{base_url}/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200, page.text
    assert 'id="approve"' in page.text and 'id="deny"' in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    answer = requests.post(
        base_url + action,
        data={"request_id": request_id, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def exchange(base_url: str, path: str = "/oauth/v3/token", **fields: str) -> requests.Response:
    body = {"grant_type": "authorization_code", "redirect_uri": REDIRECT, **CLIENT, **fields}
    return requests.post(base_url + path, data=body, timeout=10)


def refresh(base_url: str, token: str, path: str = "/oauth/v3/token") -> requests.Response:
    body = {"grant_type": "refresh_token", "refresh_token": token, **CLIENT}
    return requests.post(base_url + path, data=body, timeout=10)


def test_pkce_happy_path_gives_tokens_that_work_on_the_crm(sandbox):
    verifier, challenge = pkce_pair()
    answer = consent(sandbox.base_url, challenge=challenge)
    assert answer["state"] == "xyz-123"

    response = exchange(sandbox.base_url, code=answer["code"], code_verifier=verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 1800
    assert tokens["hub_id"] == sandbox.portal_id
    assert set(tokens["scopes"]) == set(SCOPES.split())

    leads = Api(sandbox.base_url, tokens["access_token"]).get("/crm/v3/objects/leads?limit=3")
    assert leads.status_code == 200
    assert len(leads.json()["results"]) == 3


def test_deny_redirects_with_access_denied_and_the_state(sandbox):
    answer = consent(sandbox.base_url, decision="deny")
    assert answer["error"] == "access_denied"
    assert answer["error_description"]
    assert answer["state"] == "xyz-123"
    assert "code" not in answer


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"client_id": "someone-else"}, "Unknown client_id"),
        ({"redirect_uri": "https://evil.example.com/cb"}, "redirect URL"),
        ({"scope": "crm.objects.leads.read not.a.scope"}, "scopes"),
    ],
)
def test_bad_authorize_requests_get_an_error_page_and_no_redirect(sandbox, params, fragment):
    base = {"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT, "scope": SCOPES}
    page = requests.get(
        f"{sandbox.base_url}/oauth/authorize", params={**base, **params}, allow_redirects=False, timeout=10
    )
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert fragment in page.text


def test_code_is_single_use(sandbox):
    code = consent(sandbox.base_url)["code"]
    assert exchange(sandbox.base_url, code=code).status_code == 200
    again = exchange(sandbox.base_url, code=code)
    assert again.status_code == 400
    body = again.json()
    assert body["status"] == "BAD_AUTH_CODE"
    assert body["error"] == "invalid_grant"
    assert body["message"] and body["correlationId"]


def test_unknown_code_on_v1_has_the_classic_body(sandbox):
    response = exchange(sandbox.base_url, "/oauth/v1/token", code="not-a-code")
    assert response.status_code == 400
    assert set(response.json()) == {"status", "message", "correlationId"}
    assert response.json()["status"] == "BAD_AUTH_CODE"


def test_wrong_pkce_verifier_is_rejected_and_burns_the_code(sandbox):
    verifier, challenge = pkce_pair()
    code = consent(sandbox.base_url, challenge=challenge)["code"]
    wrong = exchange(sandbox.base_url, code=code, code_verifier=verifier + "x")
    assert wrong.status_code == 400
    assert wrong.json()["status"] == "BAD_AUTH_CODE"
    assert exchange(sandbox.base_url, code=code, code_verifier=verifier).status_code == 400


def test_missing_verifier_when_a_challenge_was_given_is_rejected(sandbox):
    _, challenge = pkce_pair()
    code = consent(sandbox.base_url, challenge=challenge)["code"]
    assert exchange(sandbox.base_url, code=code).json()["status"] == "BAD_AUTH_CODE"


def test_redirect_uri_must_match_exactly(sandbox):
    code = consent(sandbox.base_url)["code"]
    response = exchange(sandbox.base_url, code=code, redirect_uri=REDIRECT + "extra")
    assert response.status_code == 400
    assert response.json()["status"] == "BAD_REDIRECT_URI"


def test_bad_client_credentials(sandbox):
    code = consent(sandbox.base_url)["code"]
    assert exchange(sandbox.base_url, code=code, client_id="nope").json()["status"] == "BAD_CLIENT_ID"
    assert exchange(sandbox.base_url, code=code, client_secret="nope").json()["status"] == "BAD_CLIENT_SECRET"


def test_refresh_returns_a_new_access_token_and_the_same_refresh_token(sandbox):
    tokens = exchange(sandbox.base_url, "/oauth/2026-03/token", code=consent(sandbox.base_url)["code"]).json()
    renewed = refresh(sandbox.base_url, tokens["refresh_token"], "/oauth/v1/token")
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["access_token"] != tokens["access_token"]
    assert renewed.json()["refresh_token"] == tokens["refresh_token"]
    # The old access token keeps working until it expires.
    assert Api(sandbox.base_url, tokens["access_token"]).get("/crm/v3/objects/leads").status_code == 200


def test_refresh_token_rotation_when_configured(sandbox):
    sandbox.control.configure(rotate_refresh_tokens=True)
    tokens = exchange(sandbox.base_url, code=consent(sandbox.base_url)["code"]).json()
    renewed = refresh(sandbox.base_url, tokens["refresh_token"]).json()
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert refresh(sandbox.base_url, tokens["refresh_token"]).json()["status"] == "BAD_REFRESH_TOKEN"
    assert refresh(sandbox.base_url, renewed["refresh_token"]).status_code == 200


def test_access_token_expires_when_its_lifetime_has_passed(sandbox):
    sandbox.control.configure(access_token_ttl=60)
    tokens = exchange(sandbox.base_url, code=consent(sandbox.base_url)["code"]).json()
    assert tokens["expires_in"] == 60
    api = Api(sandbox.base_url, tokens["access_token"])
    sandbox.control.advance_clock(58)
    assert api.get("/crm/v3/objects/leads").status_code == 200
    sandbox.control.advance_clock(4)
    expired = api.get("/crm/v3/objects/leads")
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert "expired" in expired.json()["message"]
    fresh = refresh(sandbox.base_url, tokens["refresh_token"]).json()["access_token"]
    assert Api(sandbox.base_url, fresh).get("/crm/v3/objects/leads").status_code == 200


def test_forced_expiry_through_the_control_api(sandbox, api):
    assert api.get("/crm/v3/objects/leads").status_code == 200
    assert sandbox.control.expire_tokens() >= 1
    response = api.get("/crm/v3/objects/leads")
    assert response.status_code == 401
    assert response.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_missing_or_unknown_token_is_invalid_authentication(sandbox):
    bare = requests.get(sandbox.base_url + "/crm/v3/objects/contacts", timeout=10)
    assert bare.status_code == 401
    assert bare.json()["category"] == "INVALID_AUTHENTICATION"
    assert Api(sandbox.base_url, "nonsense").get("/crm/v3/objects/contacts").json()["category"] == (
        "INVALID_AUTHENTICATION"
    )


def test_missing_scope_is_403_missing_scopes(sandbox):
    api = Api(sandbox.base_url, sandbox.control.access_token(scopes=["crm.objects.contacts.read"]))
    assert api.get("/crm/v3/objects/contacts").status_code == 200
    response = api.get("/crm/v3/objects/deals")
    assert response.status_code == 403
    body = response.json()
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.deals.read"]


def test_introspection_v3_and_v1(sandbox):
    tokens = exchange(sandbox.base_url, code=consent(sandbox.base_url)["code"]).json()
    info = requests.post(
        f"{sandbox.base_url}/oauth/v3/token/introspect",
        data={**CLIENT, "token": tokens["access_token"]},
        timeout=10,
    ).json()
    assert info["active"] is True
    assert info["hub_id"] == sandbox.portal_id
    assert info["app_id"] == 3000001
    assert set(info["scopes"]) == set(SCOPES.split())
    assert 0 < info["expires_in"] <= 1800
    assert "@" in info["user"]

    v1 = requests.get(
        f"{sandbox.base_url}/oauth/v1/access-tokens/{tokens['access_token']}", timeout=10
    ).json()
    assert v1["hub_id"] == sandbox.portal_id and v1["user"] == info["user"]
    refresh_info = requests.get(
        f"{sandbox.base_url}/oauth/v1/refresh-tokens/{tokens['refresh_token']}", timeout=10
    ).json()
    assert refresh_info["client_id"] == CLIENT["client_id"]

    unknown = requests.post(
        f"{sandbox.base_url}/oauth/v3/token/introspect", data={**CLIENT, "token": "x"}, timeout=10
    )
    assert unknown.json() == {"active": False}


@pytest.mark.parametrize("how", ["v1-delete", "v3-revoke", "control"])
def test_revoked_refresh_token_fails_with_bad_refresh_token(sandbox, how):
    tokens = exchange(sandbox.base_url, code=consent(sandbox.base_url)["code"]).json()
    if how == "v1-delete":
        deleted = requests.delete(
            f"{sandbox.base_url}/oauth/v1/refresh-tokens/{tokens['refresh_token']}", timeout=10
        )
        assert deleted.status_code == 204
    elif how == "v3-revoke":
        revoked = requests.post(
            f"{sandbox.base_url}/oauth/v3/token/revoke",
            data={**CLIENT, "token": tokens["refresh_token"]},
            timeout=10,
        )
        assert revoked.status_code == 200
    else:
        sandbox.control.revoke_refresh_token(tokens["refresh_token"])
    response = refresh(sandbox.base_url, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["status"] == "BAD_REFRESH_TOKEN"
    assert response.json()["error"] == "invalid_grant"
    # HubSpot: revoking the refresh token leaves minted access tokens valid until they expire.
    assert Api(sandbox.base_url, tokens["access_token"]).get("/crm/v3/objects/leads").status_code == 200
