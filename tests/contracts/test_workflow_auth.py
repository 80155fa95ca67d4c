"""Unit tests: the v2 signature (the example values HubSpot documents for it), the workflow body,
our secret header."""

from __future__ import annotations

import pytest

from crm_integrations.core.webhooks import MalformedWebhook, WorkflowRequest
from crm_integrations.hubspot.config import hubspot_settings
from crm_integrations.hubspot.workflows import parse_workflow, signature_v2, verify_workflow
from crm_integrations.intake.workflow_secrets import (
    SETTING,
    check_workflow_secret,
    digest,
    given_secret,
    issue_workflow_secret,
)
from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import upsert_organization_integration

REFERENCE_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
REFERENCE_URI = "https://www.example.com/webhook_uri"
URL = "https://leads.example.com/api/v1/integrations/hubspot/webhook?organization=7&account=24000001"
BODY = b'{"id":"9001","properties":{"dealname":"Acme"}}'


def test_the_reference_v2_values_are_reproduced():
    assert signature_v2(REFERENCE_SECRET, "GET", REFERENCE_URI, b"") == (
        "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    )
    assert signature_v2(REFERENCE_SECRET, "POST", REFERENCE_URI, b'{"example_field":"example_value"}') == (
        "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
    )


def v2_headers(signature: str, version: str = "v2") -> dict[str, str]:
    return {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": version}


def check(headers: dict[str, str], url: str = URL, body: bytes = BODY) -> tuple[str, str]:
    result = verify_workflow(method="POST", url=url, headers=headers, body=body)
    return result.verdict, result.detail


def test_a_v2_signature_with_the_apps_secret_is_valid():
    assert check(
        v2_headers(signature_v2(hubspot_settings("sandbox")["CLIENT_SECRET"], "POST", URL, BODY))
    ) == ("valid", "v2")


def test_the_signature_covers_the_url_with_its_parameters_and_the_body():
    signature = signature_v2(hubspot_settings("sandbox")["CLIENT_SECRET"], "POST", URL, BODY)
    assert check(v2_headers(signature), url=URL.replace("organization=7", "organization=8"))[0] == "invalid"
    assert check(v2_headers(signature), body=BODY.replace(b"9001", b"9002"))[0] == "invalid"
    assert check(v2_headers(signature_v2("another-secret", "POST", URL, BODY)))[0] == "invalid"


def test_a_missing_or_v1_signature_is_refused():
    assert check({})[0] == "missing"
    verdict, detail = check(v2_headers("a" * 64, version="v1"))
    assert verdict == "v1_refused" and "must be signed v2" in detail


@pytest.mark.parametrize(
    ("body", "url", "expected"),
    [
        (BODY, URL, WorkflowRequest("deals", "9001", "7", "24000001")),
        (b'{"objectId": 9001, "organization": 7, "portalId": 24000001}', URL.split("?")[0], None),
        (b'{"properties": {"hs_object_id": "9001"}}', URL, WorkflowRequest("deals", "9001", "7", "24000001")),
        (b'{"id": "9001"}', URL.split("?")[0] + "?organization=7", WorkflowRequest("deals", "9001", "7", "")),
    ],
)
def test_the_deal_and_organization_are_read_from_the_body_or_the_query(body, url, expected):
    expected = expected or WorkflowRequest("deals", "9001", "7", "24000001")
    assert parse_workflow(url=url, body=body) == expected


@pytest.mark.parametrize(
    ("body", "url", "message"),
    [
        (b"{not json", URL, "not JSON"),
        (b"[1, 2]", URL, "one JSON object"),
        (b'{"properties": {}}', URL, "no deal id"),
        (b'{"id": "abc"}', URL, "the deal id is not an id"),
        (BODY, URL.split("?")[0], "no 'organization'"),
    ],
)
def test_a_request_naming_no_deal_or_organization_is_malformed(body, url, message):
    with pytest.raises(MalformedWebhook, match=message):
        parse_workflow(url=url, body=body)


# --- our secret header --------------------------------------------------------------------------------


@pytest.fixture
def connection(organization) -> OrganizationIntegration:
    return upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id="24000001",
        settings={"kept": "yes"},
    )


def test_a_secret_is_shown_once_and_only_its_digest_is_stored(connection):
    secret = issue_workflow_secret(connection)

    stored = OrganizationIntegration.objects.get(pk=connection.pk).settings
    assert stored == {"kept": "yes", SETTING: digest(secret)} and secret not in str(stored)
    assert len(secret) >= 43  # 32 random bytes


def test_the_secret_names_its_connection(connection):
    secret = issue_workflow_secret(connection)

    result, found = check_workflow_secret("hubspot", secret)

    assert (result.verdict, result.account_id, found) == ("valid", "24000001", connection)


@pytest.mark.parametrize("given", ["", "wrong", "x" * 43])
def test_a_wrong_secret_matches_nothing(connection, given):
    issue_workflow_secret(connection)
    result, found = check_workflow_secret("hubspot", given)
    assert (result.verdict, found) == ("invalid", None)


def test_a_new_secret_replaces_the_old_and_a_disconnected_connection_takes_none(connection):
    old = issue_workflow_secret(connection)
    new = issue_workflow_secret(OrganizationIntegration.objects.get(pk=connection.pk))
    assert check_workflow_secret("hubspot", old)[1] is None
    assert check_workflow_secret("monday", new)[1] is None

    upsert_organization_integration(connection.organization, "hubspot", "sandbox", status="disconnected")
    assert check_workflow_secret("hubspot", new)[1] is None


def test_the_comparison_is_constant_time(connection, monkeypatch):
    import crm_integrations.intake.workflow_secrets as module

    compared = []
    real = module.hmac.compare_digest
    monkeypatch.setattr(module.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    secret = issue_workflow_secret(connection)

    assert check_workflow_secret("hubspot", secret)[1] == connection
    assert compared == [(digest(secret), digest(secret))]


def test_the_header_is_found_whatever_its_case():
    assert given_secret({"x-workflow-secret": "s"}) == "s"
    assert given_secret({"X-Workflow-Secret": ""}) == ""
    assert given_secret({"Authorization": "Bearer s"}) is None
