"""Webhook signatures (reference test values), app webhook batches and retries, workflow webhooks."""

from __future__ import annotations

import json

import pytest
import requests
from hubspot.utils.signature import Signature

from devtools.sandboxes.hubspot.signing import signature_v1, signature_v2, signature_v3, v3_uri

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
BODY = (
    '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":'
    '"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)
URI = "https://www.example.com/webhook_uri"
CLIENT_SECRET = "sandbox-client-secret"
FAST_RETRIES = {"retryDelays": [0.05] * 10}


# --- signing: the reference's test values ---------------------------------------------------------
def test_v1_signature_matches_the_reference_value():
    assert signature_v1(SECRET, BODY) == "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"


def test_v2_signatures_match_the_reference_values():
    assert (
        signature_v2(SECRET, "GET", URI, "")
        == "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    )
    post = signature_v2(SECRET, "POST", URI, '{"example_field":"example_value"}')
    assert post == "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"


def test_v3_signature_matches_the_reference_value_and_the_official_sdk():
    signature = signature_v3(SECRET, "POST", URI, BODY, 1564113600000)
    assert signature == "DxmVAjFNa2xfF3YgQjdZP6TNcok9k1oaH7UXombPtvw="
    assert Signature.get_signature(SECRET, BODY, "v3", URI, "POST", "1564113600000") == signature


def test_v3_decodes_only_the_listed_escapes():
    assert v3_uri("https://x.test/a%3Ab%2fc?q=%40me%20you%2C%3b") == "https://x.test/a:b/c?q=@me%20you,;"


# --- app webhooks ---------------------------------------------------------------------------------
def events_of(deliveries) -> list[dict]:
    return [event for delivery in deliveries for event in delivery.json()]


def test_a_change_delivers_a_v3_signed_batch(sandbox, api, receiver):
    sandbox.control.configure_webhooks(targetUrl=receiver.url, **FAST_RETRIES)
    leads = api.get("/crm/v3/objects/leads?limit=50&properties=hs_pipeline_stage").json()["results"]
    lead_id = next(
        lead["id"] for lead in leads if lead["properties"]["hs_pipeline_stage"] != "connected-stage-id"
    )
    sandbox.control.update_record("leads", lead_id, {"hs_pipeline_stage": "connected-stage-id"})
    [delivery] = receiver.wait_for(1)
    assert delivery.path == "/hubspot/webhooks?source=sandbox"
    headers = delivery.headers
    body = delivery.body.decode()
    assert Signature.is_valid(
        headers["X-HubSpot-Signature-v3"],
        CLIENT_SECRET,
        body,
        receiver.url,
        "POST",
        "v3",
        headers["X-HubSpot-Request-Timestamp"],
    )
    assert headers["X-HubSpot-Signature-Version"] == "v1"
    assert headers["X-HubSpot-Signature"] == signature_v1(CLIENT_SECRET, body)
    events = delivery.json()
    assert isinstance(events, list)
    changed = {e["propertyName"]: e for e in events if e["subscriptionType"] == "object.propertyChange"}
    stage = changed["hs_pipeline_stage"]
    assert stage["propertyValue"] == "connected-stage-id"
    assert stage["objectTypeId"] == "0-136" and stage["objectId"] == int(lead_id)
    assert stage["portalId"] == sandbox.portal_id and stage["appId"] == 3000001
    assert stage["changeSource"] == "CRM_UI" and stage["attemptNumber"] == 0
    assert isinstance(stage["eventId"], int) and isinstance(stage["occurredAt"], int)
    assert "hs_lastmodifieddate" not in changed


def test_api_creations_use_the_classic_types_and_batches_of_at_most_100(sandbox, api, receiver):
    sandbox.state.config.webhook_batch_window = 0.3
    sandbox.control.configure(rate_limit_max=1000)
    sandbox.control.configure_webhooks(targetUrl=receiver.url, **FAST_RETRIES)
    for start in (0, 100):
        inputs = [
            {"properties": {"email": f"hook{n}@example.net"}}
            for n in range(start, start + (100 if start == 0 else 50))
        ]
        assert api.post("/crm/v3/objects/contacts/batch/create", {"inputs": inputs}).status_code == 201
    assert sandbox.control.wait_for_deliveries(10)
    deliveries = receiver.wait_for(2)
    assert len(deliveries) >= 2
    assert all(len(d.json()) <= 100 for d in deliveries)
    created = [e for e in events_of(deliveries) if e["subscriptionType"] == "contact.creation"]
    assert len(created) == 150
    assert {e["changeSource"] for e in created} == {"API"}
    assert all(e["changeFlag"] == "NEW" for e in created)


def test_a_failing_receiver_gets_retries_with_a_rising_attempt_number(sandbox, api, receiver):
    receiver.statuses = [500, 503]
    sandbox.control.configure_webhooks(targetUrl=receiver.url, **FAST_RETRIES)
    sandbox.control.create_record("contacts", {"email": "retry.me@example.net"})
    deliveries = receiver.wait_for(3)
    assert [d.json()[0]["attemptNumber"] for d in deliveries] == [0, 1, 2]
    assert len({d.json()[0]["eventId"] for d in deliveries}) == 1
    for d in deliveries:  # each retry is re-signed
        assert Signature.is_valid(
            d.headers["X-HubSpot-Signature-v3"],
            CLIENT_SECRET,
            d.body.decode(),
            receiver.url,
            "POST",
            "v3",
            d.headers["X-HubSpot-Request-Timestamp"],
        )
    assert sandbox.control.wait_for_deliveries(5)
    [log] = sandbox.control.deliveries("app")
    assert log["status"] == "delivered"
    assert [a["status"] for a in log["attempts"]] == [500, 503, 200]


def test_app_webhooks_retry_4xx_too_as_hubspot_does(sandbox, receiver):
    receiver.statuses = [400, 404]
    sandbox.control.configure_webhooks(targetUrl=receiver.url, **FAST_RETRIES)
    sandbox.control.create_record("companies", {"name": "Webhook Test Co", "domain": "webhook-test.example"})
    assert len(receiver.wait_for(3)) == 3
    assert sandbox.control.wait_for_deliveries(5)
    assert [a["status"] for a in sandbox.control.deliveries("app")[0]["attempts"]] == [400, 404, 200]


def test_retries_stop_after_the_schedule(sandbox, receiver):
    receiver.statuses = [500] * 10
    sandbox.control.configure_webhooks(targetUrl=receiver.url, retryDelays=[0.02, 0.02])
    sandbox.control.create_record("contacts", {"email": "give.up@example.net"})
    assert len(receiver.wait_for(3)) == 3
    assert sandbox.control.wait_for_deliveries(5)
    [log] = sandbox.control.deliveries("app")
    assert log["status"] == "failed" and len(log["attempts"]) == 3
    assert len(receiver.received) == 3


# --- workflow webhooks ----------------------------------------------------------------------------
def closed_won(sandbox, api, receiver, **action) -> str:
    sandbox.control.configure_workflows(
        actions=[{"targetUrl": receiver.url, "stageId": "closedwon", **action}], retryDelays=[0.05] * 5
    )
    deal = next(
        d
        for d in api.get("/crm/v3/objects/deals?limit=50").json()["results"]
        if d["properties"]["dealstage"] != "closedwon"
    )
    api.patch(f"/crm/v3/objects/deals/{deal['id']}", {"properties": {"amount": "1234"}})  # not enrolled
    sandbox.control.update_record("deals", deal["id"], {"dealstage": "closedwon"})
    return deal["id"]


def test_a_deal_reaching_the_stage_is_posted_with_a_v2_signature(sandbox, api, receiver):
    deal_id = closed_won(sandbox, api, receiver)
    [post] = receiver.wait_for(1)
    body = post.body.decode()
    assert post.headers["X-HubSpot-Signature-Version"] == "v2"
    assert Signature.is_valid(
        post.headers["X-HubSpot-Signature"], CLIENT_SECRET, body, receiver.url, "POST", "v2"
    )
    deal = json.loads(body)
    assert deal["id"] == deal_id
    assert deal["properties"]["dealstage"] == "closedwon" and deal["properties"]["amount"] == "1234"
    assert sandbox.control.wait_for_deliveries(5)
    assert len(receiver.received) == 1


def test_an_action_adds_its_static_query_parameters_under_the_v2_signature(sandbox, api, receiver):
    closed_won(sandbox, api, receiver, queryParams={"organization": "42", "account": "24000001"})
    [post] = receiver.wait_for(1)
    called = receiver.url.replace("http://127.0.0.1", "").split(":", 1)[1].split("/", 1)[1]
    assert post.path == "/" + called + "&organization=42&account=24000001"
    url = receiver.url + "&organization=42&account=24000001"
    assert post.headers["X-HubSpot-Signature"] == signature_v2(CLIENT_SECRET, "POST", url, post.body)


@pytest.mark.parametrize("location", ["header", "query"])
def test_an_action_may_authenticate_with_an_api_key_instead_of_a_signature(sandbox, api, receiver, location):
    key = {"name": "X-Workflow-Secret", "value": "s3cret", "location": location}
    closed_won(sandbox, api, receiver, signatureVersion=None, apiKey=key)
    [post] = receiver.wait_for(1)
    assert "X-HubSpot-Signature" not in post.headers
    if location == "header":
        assert post.headers["X-Workflow-Secret"] == "s3cret"
    else:
        assert post.path.endswith("&X-Workflow-Secret=s3cret")


def test_a_bad_action_setting_is_refused(sandbox):
    action = {"targetUrl": "http://127.0.0.1:9/", "stageId": "closedwon", "apiKey": {"value": "x"}}
    answer = requests.put(f"{sandbox.base_url}/_sandbox/workflows", json={"actions": [action]}, timeout=10)
    assert answer.status_code == 400 and "apiKey" in answer.text


@pytest.mark.parametrize(
    ("statuses", "attempts", "outcome"),
    [([404], [404], "failed"), ([429, 503], [429, 503, 200], "delivered")],
)
def test_workflow_retry_rules(sandbox, api, receiver, statuses, attempts, outcome):
    """No retry on 4xx except 429 (honouring Retry-After in ms); 5xx retried."""
    receiver.statuses = list(statuses)
    receiver.headers = {"Retry-After": "50"}
    closed_won(sandbox, api, receiver, signatureVersion="v1")
    receiver.wait_for(len(attempts))
    assert sandbox.control.wait_for_deliveries(5)
    [log] = sandbox.control.deliveries("workflow")
    assert [a["status"] for a in log["attempts"]] == attempts
    assert log["status"] == outcome
    assert receiver.received[0].headers["X-HubSpot-Signature"] == signature_v1(
        CLIENT_SECRET, receiver.received[0].body
    )
