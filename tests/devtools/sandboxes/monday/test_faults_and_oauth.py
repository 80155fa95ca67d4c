"""Fault injection, the OAuth flows (legacy and 2.1) and the command line."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import requests

from .conftest import gql

REDIRECT = "http://127.0.0.1:8000/api/v1/integrations/monday/callback"
FORM = {"client_id": "sandbox-monday-client-id", "client_secret": "sandbox-monday-client-secret"}


def test_faults_answer_monday_s_rate_limit_complexity_and_5xx_shapes(sandbox):
    sandbox.control.set_faults(rateLimitShare=1.0, retryInSeconds=7)
    minute = sandbox.control.graphql("query { me { id } }", token=sandbox.api_token)
    sandbox.control.set_faults(complexityShare=1.0, legacyComplexity=True)
    legacy = sandbox.control.graphql("query { me { id } }", token=sandbox.api_token)
    sandbox.control.set_faults(errorShare=1.0, errorStatuses=[500])
    broken = sandbox.control.graphql("query { me { id } }", token=sandbox.api_token)

    assert (minute.status_code, minute.headers["Retry-After"]) == (429, "7")
    assert minute.json()["errors"][0]["message"] == "Minute limit rate exceeded"
    assert legacy.status_code == 429 and legacy.json()["error_code"] == "ComplexityException"
    assert "reset in 20 seconds" in legacy.json()["error_message"]
    assert broken.status_code == 500 and broken.json()["error_message"] == "Internal server error"
    assert [entry["fault"] for entry in sandbox.control.requests()] == ["rate_limit", "complexity", "error"]


def test_a_seeded_fault_share_is_the_same_on_every_run(sandbox):
    def run() -> list[int]:
        sandbox.control.set_faults(errorShare=0.3, seed=5)
        return [
            sandbox.control.graphql("query { me { id } }", token=sandbox.api_token).status_code
            for _ in range(20)
        ]

    first, second = run(), run()
    assert first == second and 200 in first and any(code >= 500 for code in first)


def consent(sandbox, **params: str) -> str:
    page = requests.get(
        f"{sandbox.base_url}/oauth2/authorize",
        timeout=10,
        params={
            "client_id": FORM["client_id"],
            "redirect_uri": REDIRECT,
            "scope": "boards:read users:read me:read",
            "state": "s1",
            **params,
        },
    )
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    decision = requests.post(
        f"{sandbox.base_url}/oauth2/authorize/decision",
        allow_redirects=False,
        timeout=10,
        data={"request_id": request_id, "decision": "approve"},
    )
    query = parse_qs(urlsplit(decision.headers["Location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def test_the_legacy_flow_gives_a_token_that_never_expires_and_no_refresh_token(sandbox):
    code = consent(sandbox)
    tokens = requests.post(
        f"{sandbox.base_url}/oauth2/token", timeout=10, data={**FORM, "code": code, "redirect_uri": REDIRECT}
    ).json()

    assert set(tokens) == {"access_token", "token_type", "scope"}
    _, body = gql(sandbox, "query { me { account { id } } }", token=tokens["access_token"])
    assert body["data"]["me"]["account"]["id"] == str(sandbox.account_id)
    again = requests.post(
        f"{sandbox.base_url}/oauth2/token", timeout=10, data={**FORM, "code": code, "redirect_uri": REDIRECT}
    )
    assert again.json()["error"] == "invalid_grant"  # codes are single use


def test_the_2_1_flow_checks_pkce_and_rotates_refresh_tokens(sandbox):
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = consent(sandbox, code_challenge=challenge, code_challenge_method="S256")
    url = f"{sandbox.base_url}/oauth_ms/oauth/token"

    tokens = requests.post(
        url,
        timeout=10,
        data={
            **FORM,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    ).json()
    refreshed = requests.post(
        url,
        timeout=10,
        data={**FORM, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    ).json()
    reused = requests.post(
        url,
        timeout=10,
        data={**FORM, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )

    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["exp"] > time.time() and "expires_in" not in tokens
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert reused.json()["error"] == "invalid_grant"
    assert gql(sandbox, "query { me { id } }", token=refreshed["access_token"])[0] == 200


def test_the_command_line_serves_and_prints_its_url():
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.sandboxes.monday", "--port", "0", "--seed-items", "5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert requests.get(f"{url}/_sandbox/health", timeout=10).json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=10)
