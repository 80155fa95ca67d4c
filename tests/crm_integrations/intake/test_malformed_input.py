"""Numbers and strings from a CRM's webhook are checked before use: never a 500, never a stuck delivery.

Each provider's parsing and signature checking (crm_integrations/hubspot/webhooks.py,
crm_integrations/hubspot/workflows.py, crm_integrations/monday/webhooks.py) raises nothing but
``MalformedWebhook`` for any body, and an event whose id or time is out of range is recorded with
the reason while the rest of its batch goes on.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from crm_integrations.core.webhooks import MAX_ID_DIGITS, MalformedWebhook
from crm_integrations.hubspot import webhooks as hubspot_webhooks
from crm_integrations.hubspot import workflows as hubspot_workflows
from crm_integrations.hubspot.config import PUBLIC_SANDBOX_SECRETS, hubspot_settings
from crm_integrations.intake import processing
from crm_integrations.models import WebhookDelivery, WebhookEvent
from crm_integrations.monday import webhooks as monday_webhooks
from crm_integrations.monday.provider import MondayProvider

from .test_hubspot_events import URL, event, post

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
#: Event-shaped objects: HubSpot's and monday's field names with arbitrary values, so the parsers
#: get past their shape checks and into every conversion.
HUBSPOT_FIELDS = ["eventId", "subscriptionId", "portalId", "occurredAt", "subscriptionType", "objectTypeId",
                  "objectId", "propertyName", "propertyValue", "eventType"]  # fmt: skip
MONDAY_FIELDS = ["type", "boardId", "pulseId", "itemId", "columnId", "value", "previousValue",
                 "triggerTime", "changedAt", "triggerUuid", "userId", "columnValues", "subscriptionId",
                 "pulseName"]  # fmt: skip
hubspot_events = st.fixed_dictionaries({}, optional={name: json_values for name in HUBSPOT_FIELDS})
monday_events = st.fixed_dictionaries({}, optional={name: json_values for name in MONDAY_FIELDS})
fuzz = hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bounded(event) -> None:
    """What the intake stores fits its columns (crm_integrations/models/intake.py)."""
    assert len(event.account_id) <= MAX_ID_DIGITS and len(event.object_id) <= MAX_ID_DIGITS
    assert len(event.event_type) <= 100 and len(event.property_name) <= 200
    assert len(event.property_value) <= 2000 and len(event.dedupe_key) == 64


@fuzz
@given(
    st.one_of(
        st.binary(max_size=200), st.lists(hubspot_events, max_size=5).map(lambda v: json.dumps(v).encode())
    )
)
def test_hubspot_event_parsing_raises_nothing_but_malformed(body):
    try:
        events = hubspot_webhooks.parse_webhook_events(body)
    except MalformedWebhook:
        return
    for parsed in events:
        _bounded(parsed)


@fuzz
@given(
    st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())),
    st.dictionaries(st.sampled_from(["organization", "account", "x"]), st.text(max_size=30), max_size=3),
)
def test_hubspot_workflow_parsing_raises_nothing_but_malformed(body, query):
    try:
        request = hubspot_workflows.parse_workflow(url=f"https://x/hook?{urlencode(query)}", body=body)
    except MalformedWebhook:
        return
    assert request.object_id.isdigit() and len(request.object_id) <= MAX_ID_DIGITS
    assert request.organization_id.isdigit() and len(request.account_id) <= MAX_ID_DIGITS


@fuzz
@given(
    st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        monday_events.map(lambda e: json.dumps({"event": e}).encode()),
    )
)
def test_monday_event_parsing_raises_nothing_but_malformed(body):
    try:
        events = MondayProvider().parse_webhook_events(body, account_id="7")
    except MalformedWebhook:
        return
    for parsed in events:
        _bounded(parsed)


header_text = st.text(max_size=80)


@fuzz
@given(
    st.dictionaries(
        st.sampled_from(
            ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp", "X-HubSpot-Signature",
             "X-HubSpot-Signature-Version"]
        ),
        header_text,
    ),
    st.binary(max_size=100),
)  # fmt: skip
def test_hubspot_signature_checks_answer_a_verdict_for_any_headers(headers, body):
    for check in (hubspot_webhooks.verify_webhook, hubspot_workflows.verify_workflow):
        verdict = check(method="POST", url=URL, headers=headers, body=body)
        assert not verdict.valid


@fuzz
@given(header_text, st.binary(max_size=100))
def test_monday_signature_check_answers_a_verdict_for_any_header(authorization, body):
    verdict = MondayProvider().verify_webhook(
        method="POST", url="https://x/events", headers={"Authorization": authorization}, body=body
    )
    assert not verdict.valid
    assert not monday_webhooks.url_secret_matches(authorization, "expected-secret")


# --- through the endpoint ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("occurredAt", 253402300800000, "occurredAt is out of range"),
        ("occurredAt", 1e20, "occurredAt is out of range"),
        ("occurredAt", -1, "occurredAt is out of range"),
        ("occurredAt", "soon", "occurredAt is not a time"),
        ("objectId", "9" * 30, "objectId is not an id of at most 20 digits"),
        ("objectId", "12ab", "objectId is not an id"),
        ("portalId", {"id": 1}, "portalId is not an id"),
        ("propertyName", "p" * 500, "propertyName is longer than 200"),
    ],
)
def test_an_event_out_of_range_is_recorded_with_the_reason_and_its_batch_goes_on(
    client, connection, intake, field, value, reason
):
    calls, _ = intake
    bad = {**event(2, event_id=2), field: value}

    response = post(client, [event(1, event_id=1), bad])

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    processing.process(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "processed"
    rejected = WebhookEvent.objects.get(outcome="rejected")
    assert rejected.outcome_detail.startswith("malformed event: ") and reason in rejected.outcome_detail
    assert WebhookEvent.objects.get(outcome="ingested").object_id == "1"
    assert calls == [(connection.pk, "leads", ["1"], "webhook")]


@pytest.mark.django_db
def test_a_non_ascii_signature_is_refused_not_a_server_error(client, connection):
    timestamp = str(int(time.time() * 1000))
    headers = {"HTTP_X_HUBSPOT_SIGNATURE_V3": "ünïcode", "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": timestamp}
    assert post(client, [event(1)], headers=headers).status_code == 401


@pytest.mark.django_db
def test_a_batch_of_more_events_than_hubspot_sends_is_malformed(client, connection):
    response = post(client, [event(n, event_id=n) for n in range(1, 102)])
    assert response.status_code == 400
    assert "at most 100 events" in WebhookDelivery.objects.get().status_detail


@pytest.mark.django_db
def test_a_deeply_nested_body_is_malformed(client, connection):
    assert post(client, b"[" * 100_000 + b"]" * 100_000).status_code == 400


def test_the_secret_used_here_is_not_a_public_default():
    """The tests verify with a secret of their own (config/settings/test.py), as production must."""
    assert hubspot_settings("sandbox")["CLIENT_SECRET"] not in PUBLIC_SANDBOX_SECRETS
