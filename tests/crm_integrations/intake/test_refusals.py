"""A refused webhook request costs almost nothing: a short record, and none at all past the budget.

crm_integrations/intake/webhooks.py verifies the request in memory before it stores anything; a correctly
signed one is stored whole, a refused one as headers, size, SHA-256 and its first 4 KiB, and past
``WEBHOOK_REFUSED_PER_MINUTE`` refusals from one address it is answered 429 and not stored at all
(crm_integrations/intake/refusals.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.db.models.functions import Length

from crm_integrations.intake import deliveries, refusals
from crm_integrations.intake import views as webhook_views
from crm_integrations.models import WebhookDelivery

from .test_hubspot_events import event, post

MIB = 1024 * 1024
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("connection")]


@pytest.fixture(autouse=True)
def mid_window(monkeypatch):
    """The refusal windows are the clock's minutes (crm_integrations/intake/refusals.py): a test's
    requests that straddled a minute's end were counted in two windows, and a CI run saw 401 where
    429 was due. The clock the budget reads stays in the middle of one window."""
    middle = (time.time() // refusals.WINDOW_SECONDS + 0.5) * refusals.WINDOW_SECONDS
    monkeypatch.setattr(refusals, "time", SimpleNamespace(time=lambda: middle))


@pytest.fixture(autouse=True)
def fresh_budget():
    """The refusal counters live in the cache, which tests share: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def unsigned(client, body: bytes, address: str = "203.0.113.7"):
    return post(client, body, headers={"REMOTE_ADDR": address})


def test_thirty_unsigned_megabyte_posts_store_a_few_kilobytes(client, settings):
    settings.WEBHOOK_REFUSED_PER_MINUTE = 100
    body = b"[" + b" " * (MIB - 2) + b"]"

    answers = [unsigned(client, body).status_code for _ in range(30)]

    assert answers == [401] * 30
    stored = WebhookDelivery.objects.aggregate(total=Sum(Length("body")))["total"]
    assert WebhookDelivery.objects.count() == 30 and stored <= 30 * deliveries.REFUSED_BODY_KEPT
    delivery = WebhookDelivery.objects.first()
    assert (delivery.body_size, delivery.body_truncated) == (len(body), True)
    assert delivery.body_sha256 == hashlib.sha256(body).hexdigest()
    assert delivery.body.encode() == body[: deliveries.REFUSED_BODY_KEPT]
    assert (delivery.status, delivery.signature, delivery.response_status) == ("rejected", "missing", 401)


def test_a_correctly_signed_request_is_stored_whole(client):
    body = json.dumps([event(n, event_id=n, note="x" * 400) for n in range(1, 60)]).encode()
    assert len(body) > deliveries.REFUSED_BODY_KEPT

    assert post(client, body).status_code == 200

    delivery = WebhookDelivery.objects.get()
    assert delivery.body.encode() == body and not delivery.body_truncated
    assert delivery.body_sha256 == hashlib.sha256(body).hexdigest()


def test_refusals_past_the_budget_get_429_with_retry_after_and_are_not_stored(client, settings, caplog):
    settings.WEBHOOK_REFUSED_PER_MINUTE = 5
    caplog.set_level(logging.WARNING, logger="crm_integrations.intake.refusals")

    answers = [unsigned(client, b"[]") for _ in range(8)]

    assert [answer.status_code for answer in answers] == [401] * 5 + [429] * 3
    assert all(1 <= int(answer["Retry-After"]) <= 61 for answer in answers[5:])
    assert "Retry-After" not in answers[0]
    assert WebhookDelivery.objects.count() == 5
    dropped = [record for record in caplog.records if "Dropping refused webhook requests" in record.message]
    assert len(dropped) == 1  # one line a minute, not one per dropped request


def test_the_budget_is_per_address_and_never_limits_signed_requests(client, settings):
    settings.WEBHOOK_REFUSED_PER_MINUTE = 2
    for _ in range(3):
        unsigned(client, b"[]", address="127.0.0.1")
    assert unsigned(client, b"[]", address="127.0.0.1").status_code == 429

    assert unsigned(client, b"[]", address="198.51.100.9").status_code == 401  # another client
    signed = post(client, [event(5)])  # from 127.0.0.1 too, the test client's address
    assert signed.status_code == 200


def test_an_oversized_body_is_refused_with_413_and_kept_short(client, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 10_000
    body = json.dumps([event(n, event_id=n) for n in range(1, 200)]).encode()

    response = post(client, body)

    assert response.status_code == 413
    delivery = WebhookDelivery.objects.get()
    assert (delivery.body_size, delivery.body_truncated) == (len(body), True)
    assert len(delivery.body) == deliveries.REFUSED_BODY_KEPT


def test_a_v2_only_signature_on_the_events_url_is_refused_for_what_it_is(client):
    headers = {"HTTP_X_HUBSPOT_SIGNATURE": "ab" * 32, "HTTP_X_HUBSPOT_SIGNATURE_VERSION": "v2"}
    assert post(client, [event(1)], headers=headers).status_code == 401
    assert WebhookDelivery.objects.get().status_detail == (
        "Signature refused: only a v2 signature (no timestamp, replayable); v3 is required."
    )


def test_a_chunked_body_the_server_cannot_end_is_answered_411(rf):
    """gunicorn marks a chunked body's end (wsgi.input_terminated); a server that does not gets 411
    rather than an empty body refused as a bad signature."""
    request = rf.post("/", data=b"[]", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked")
    del request.META["CONTENT_LENGTH"]
    response = webhook_views.events(request, "hubspot")
    assert response.status_code == 411 and "Content-Length" in json.loads(response.content)["message"]
    assert not WebhookDelivery.objects.exists()
