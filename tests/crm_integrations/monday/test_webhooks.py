"""Webhook helpers: the challenge, the JWT (good, bad, expired, missing, wrong audience), the payloads,
and the sandbox delivering signed webhooks to a real endpoint that uses them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import jwt
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from crm_integrations.core.webhooks import MalformedWebhook
from crm_integrations.models import SignatureVerdict
from crm_integrations.monday import webhooks
from crm_integrations.monday.provider import MondayProvider

from .conftest import SIGNING_SECRET

URL = "https://leads.example.com/api/v1/integrations/monday/events"


def token(secret: str = SIGNING_SECRET, **claims: object) -> str:
    body = {
        "accountId": 31000001,
        "userId": 60000001,
        "aud": URL,
        "exp": int(time.time()) + 60,
        "shortLivedToken": "short",
    } | claims
    return jwt.encode(body, secret, algorithm="HS256")


def test_the_challenge_is_echoed_and_only_the_challenge():
    assert webhooks.challenge_response(
        b'{"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}'
    ) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert webhooks.challenge_response(b'{"event": {"type": "create_pulse"}}') is None
    assert webhooks.challenge_response(b"not json") is None
    assert webhooks.parse_payload(b'{"challenge": "x"}') == []


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        (lambda: token(), SignatureVerdict.VALID),
        (lambda: f"Bearer {token()}", SignatureVerdict.VALID),
        (lambda: token(secret="another-apps-signing-secret-xxxxx"), SignatureVerdict.INVALID),
        (lambda: token(exp=int(time.time()) - 120), SignatureVerdict.STALE),
        (lambda: token(aud="https://evil.example.com/hook"), SignatureVerdict.INVALID),
        (
            lambda: jwt.encode({"accountId": 1, "aud": URL}, SIGNING_SECRET, algorithm="HS256"),
            SignatureVerdict.INVALID,
        ),
        (
            lambda: jwt.encode({"exp": int(time.time()) + 60, "aud": URL}, None, algorithm="none"),
            SignatureVerdict.INVALID,
        ),
        (lambda: "", SignatureVerdict.MISSING),
    ],
    ids=["good", "bearer", "bad-signature", "expired", "wrong-audience", "no-exp", "alg-none", "missing"],
)
def test_the_jwt_is_checked_with_the_signing_secret(header, verdict):
    check = webhooks.verify_jwt(header(), ["an-old-secret-still-configured-xx", SIGNING_SECRET], audience=URL)

    assert check.verdict == verdict, check.detail
    if verdict == SignatureVerdict.VALID:
        assert check.account_id == "31000001"


def test_the_audience_may_carry_a_query_string():
    check = webhooks.verify_jwt(token(aud=URL), [SIGNING_SECRET], audience=f"{URL}?conn=42")

    assert check.valid


def test_the_provider_verifies_against_the_configured_secrets_only(settings):
    settings.MONDAY = {"production": {"SIGNING_SECRET": SIGNING_SECRET}}
    settings.DEBUG = False
    provider = MondayProvider()

    good = provider.verify_webhook(method="POST", url=URL, headers={"Authorization": token()}, body=b"{}")
    public = provider.verify_webhook(
        method="POST",
        url=URL,
        headers={"Authorization": token(secret="sandbox-monday-signing-secret-public-default")},
        body=b"{}",
    )

    assert good.valid and "accountId=31000001" in good.detail
    assert (
        public.verdict == SignatureVerdict.INVALID
    )  # the sandbox's public default never counts in production


CREATE = {
    "event": {
        "userId": 9603417,
        "originalTriggerUuid": None,
        "boardId": 1771812698,
        "pulseId": 1772099344,
        "pulseName": "Create_item webhook",
        "groupId": "topics",
        "groupName": "Group Title",
        "groupColor": "#579bfc",
        "isTopGroup": True,
        "columnValues": {},
        "app": "monday",
        "type": "create_pulse",
        "triggerTime": "2021-10-11T09:07:28.210Z",
        "subscriptionId": 73759690,
        "triggerUuid": "b5ed2e17c530f43668de130142445cba",
    }
}
STATUS = {
    "event": {
        "userId": 9603417,
        "originalTriggerUuid": None,
        "boardId": "1771812698",
        "groupId": "topics",
        "pulseId": "1772099344",
        "pulseName": "Lead",
        "columnId": "status",
        "columnType": "color",
        "columnTitle": "Status",
        "value": {"label": {"index": 3, "text": "Won", "style": {}}, "post_id": None},
        "previousValue": {"label": {"index": 0, "text": "New", "style": {}}, "post_id": None},
        "changedAt": 1633943315.6421,
        "isTopGroup": True,
        "app": "monday",
        "type": "update_column_value",
        "triggerTime": "2021-10-11T09:08:35.926Z",
        "subscriptionId": 73760484,
        "triggerUuid": "645fc8d8709d35718f1de0a6a8b4f9e1",
    }
}


def test_payloads_become_normalized_events_with_int_or_string_ids():
    [created] = webhooks.parse_payload(json.dumps(CREATE).encode())
    [changed] = webhooks.parse_payload(json.dumps(STATUS).encode())

    assert (created.event_type, created.board_id, created.item_id) == (
        "create_item",
        "1771812698",
        "1772099344",
    )
    assert created.triggered_at.isoformat() == "2021-10-11T09:07:28.210000+00:00"
    assert (changed.event_type, changed.column_id, changed.column_type) == (
        "change_column_value",
        "status",
        "color",
    )
    assert (changed.value, changed.previous_value) == ("Won", "New")
    inbound = changed.to_inbound("31000001")
    assert (inbound.object_type, inbound.object_id, inbound.property_name, inbound.property_value) == (
        "items",
        "1772099344",
        "status",
        "Won",
    )


def test_a_retry_has_the_same_dedupe_key_as_the_original_delivery():
    retry = json.loads(json.dumps(STATUS))
    retry["event"] |= {
        "isRetry": True,
        "originalTriggerUuid": STATUS["event"]["triggerUuid"],
        "triggerUuid": "new",
    }
    other = json.loads(json.dumps(STATUS))
    other["event"]["triggerUuid"] = "another-change"

    [first] = webhooks.parse_payload(json.dumps(STATUS))
    [again] = webhooks.parse_payload(json.dumps(retry))
    [different] = webhooks.parse_payload(json.dumps(other))

    assert first.dedupe_key == again.dedupe_key != different.dedupe_key
    assert again.is_retry


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"personsAndTeams": [{"id": 4616627, "kind": "person"}, {"id": 51166, "kind": "team"}]}, "4616627"),
        ({"date": "2021-10-11", "icon": None, "time": None}, "2021-10-11"),
        ({"date": "2021-10-11", "time": "09:00:00"}, "2021-10-11T09:00:00Z"),
        ({"value": "Acme"}, "Acme"),
        ({"email": "a@b.com", "text": "A"}, "a@b.com"),
        ({"chosenValues": [{"id": 1, "name": "Software"}]}, "Software"),
        (None, None),
    ],
)
def test_column_values_in_payloads_are_made_plain(value, plain):
    assert webhooks.plain_value(value) == plain


def test_a_body_that_is_not_monday_s_is_malformed():
    for body in (b"[]", b"nope", b'{"event": {"type": "create_pulse"}}'):
        with pytest.raises(MalformedWebhook):
            webhooks.parse_payload(body)


# --- end to end: the sandbox delivers to a real endpoint built on these helpers ----------------------


class Receiver:
    """A tiny endpoint: answers the challenge, verifies the JWT, records the events."""

    def __init__(self, fail_first: int = 0) -> None:
        self.events: list[tuple[str, webhooks.MondayEvent]] = []
        self.challenges = 0
        self.fail_first = fail_first
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/monday"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @Request.application
    def app(self, request: Request) -> Response:
        body = request.get_data()
        check = webhooks.verify_jwt(request.headers.get("Authorization"), [SIGNING_SECRET], audience=self.url)
        answer = webhooks.challenge_response(body)
        if answer is not None:
            self.challenges += 1
            return Response(json.dumps(answer), content_type="application/json")
        if not check.valid:
            return Response(check.detail, status=401)
        if self.fail_first > 0:
            self.fail_first -= 1
            return Response("busy", status=503)
        self.events.extend((check.verdict, event) for event in webhooks.parse_payload(body))
        return Response("ok")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    made.thread.start()
    yield made
    made.server.shutdown()


def test_the_sandbox_sends_the_challenge_then_signed_events_the_helpers_accept(sandbox, receiver):
    sandbox.control.configure_webhooks(targetUrl=receiver.url, retryTimeScale=0.001)
    item = str(min(sandbox.state.board.items))

    created = sandbox.control.create_item("Webhook lead", {"email": {"email": "w@example.com", "text": "W"}})
    sandbox.control.update_item(item, {"status": {"label": "Won"}})
    assert sandbox.control.wait_for_deliveries(10)

    assert receiver.challenges == 2  # one per subscription (create_item, change_column_value)
    kinds = {(event.event_type, event.item_id, event.value) for _, event in receiver.events}
    assert ("create_item", created["id"], None) in kinds
    assert ("change_column_value", item, "Won") in kinds
    assert all(verdict == SignatureVerdict.VALID for verdict, _ in receiver.events)


def test_a_failed_delivery_is_retried_and_dedupes_to_the_same_key(sandbox, receiver):
    receiver.fail_first = 1
    sandbox.control.configure_webhooks(
        targetUrl=receiver.url, events=["change_column_value"], retryTimeScale=0.001
    )

    sandbox.control.update_item(str(min(sandbox.state.board.items)), {"text_company": "Retry Ltd"})
    deadline = time.monotonic() + 10
    while not receiver.events and time.monotonic() < deadline:
        time.sleep(0.02)

    [(_, event)] = receiver.events
    assert event.is_retry and event.value == "Retry Ltd"
    # The receiver sees the retry before the sandbox logs its 200: wait for the attempt to be recorded.
    assert sandbox.control.wait_for_deliveries(10)
    [delivery] = sandbox.control.deliveries()
    assert [attempt["status"] for attempt in delivery["attempts"]] == [503, 200]


def test_an_endpoint_that_does_not_echo_the_challenge_is_refused(sandbox):
    import requests

    with pytest.raises(requests.HTTPError) as caught:
        sandbox.control.configure_webhooks(targetUrl="http://127.0.0.1:9/unreachable")
    assert caught.value.response.status_code == 422
