"""The drills made of requests we send ourselves to the webhook endpoint: replays (the same signed
batches again and at once, as HubSpot retries), refused signatures (stale, another app's), and bad
inputs (malformed, out of range, oversized). The leads are created with the sandbox's webhooks off,
so what reaches the app is exactly what the drill sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass

import requests
from django.conf import settings

from crm_integrations.intake.deliveries import REFUSED_BODY_KEPT
from crm_integrations.models import DeliveryStatus, EventOutcome, WebhookDelivery, WebhookEvent
from devtools.benchmarks.harness.load import lead_batches, send_all, with_retries
from devtools.sandboxes.hubspot.signing import signed_headers, v3_uri
from field_mapping.models import Lead

from .measure import DrillResult, lead_result, now_ms, settle, wait_for_owners
from .stack import PORTAL, DrillOptions, Stack

PER_BATCH = 5
STALE_SECONDS = 600  # HubSpot's v3 timestamps are good for 5 minutes
FOREIGN_SECRET = "the-secret-of-another-hubspot-app"  # noqa: S105 (a wrong one, on purpose)
NOT_UTF8 = b"[\xff\xfe]"
#: What a refused event may have become: anything but taken in.
FAILED_OUTCOMES = (EventOutcome.REJECTED, EventOutcome.ERROR, EventOutcome.IGNORED)


@dataclass(frozen=True)
class Sent:
    label: str
    status: int | None  # None: no answer
    delivery_id: int | None


def _app_id(stack: Stack) -> int:
    return stack.sandbox.state.config.app_id


def _post(stack: Stack, label: str, body: bytes, headers: dict[str, str]) -> Sent:
    try:
        answer = requests.post(
            stack.events_url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=30
        )
    except requests.RequestException:
        return Sent(label, None, None)
    try:
        delivery = answer.json().get("delivery")
    except ValueError:
        delivery = None
    return Sent(label, answer.status_code, delivery)


def _signed(
    stack: Stack, body: bytes, *, version: str | None = "v1", age: float = 0.0, secret: str = ""
) -> dict[str, str]:
    """HubSpot's headers for ``body`` (``version`` beside v3), signed ``age`` seconds ago."""
    signed_at = now_ms() - int(age * 1000)
    return signed_headers(version, secret or stack.secret, "POST", stack.events_url, body, signed_at)


def replays(stack: Stack, options: DrillOptions) -> DrillResult:
    """Every batch three times, all at once: as sent, as HubSpot's retry (``attemptNumber`` + 1),
    and the same bytes again. Each lead must be taken in, routed and written once."""
    stack.webhooks(False)
    ids = stack.create_leads(options.leads)
    batches = lead_batches(PORTAL, ids, PER_BATCH, _app_id(stack))
    requests_ = [*with_retries(batches, 1.0), *batches]
    answers = send_all(stack.events_url, requests_, senders=min(len(requests_), 10), secret=stack.secret)
    failed = [answer for answer in answers if answer.status != 200]
    wait_for_owners(stack, ids, options.timeout)
    settle(stack)
    problems = [f"{len(failed)} signed replays were not answered 200"] if failed else []
    return lead_result(
        stack,
        "replays",
        ids,
        fault_end_ms=None,
        sent=len(answers),
        refused=len(failed),
        notes=[
            f"{len(ids)} leads in {len(batches)} batches, each sent 3 times at once ({len(answers)} requests)"
        ],
        problems=problems,
    )


def signatures(stack: Stack, options: DrillOptions) -> DrillResult:
    """Correct batches with a stale v3 signature (alone, and beside a v1 one as a captured HubSpot
    request replayed later carries) and signed with another app's secret: all refused, none processed."""
    stack.webhooks(False)
    ids = stack.create_leads(options.leads)
    bodies = [_body(batch.events) for batch in lead_batches(PORTAL, ids, PER_BATCH, _app_id(stack))]
    sent = []
    for body in bodies:
        sent.append(_post(stack, "stale v3", body, _signed(stack, body, version=None, age=STALE_SECONDS)))
        sent.append(_post(stack, "stale v1+v3", body, _signed(stack, body, age=STALE_SECONDS)))
        sent.append(_post(stack, "foreign", body, _signed(stack, body, secret=FOREIGN_SECRET)))
    return _refusals(stack, "signatures", ids, sent, expected=401)


def bad_inputs(stack: Stack, options: DrillOptions) -> DrillResult:
    """Correctly signed requests whose content is wrong (and a few unsigned or oversized): each
    answered 4xx (an out-of-range event may be taken as a delivery whose event failed: 200), never
    a 5xx, and no lead taken in from them."""
    stack.webhooks(False)
    [lead_id] = stack.create_leads(1)
    event = lead_batches(PORTAL, [lead_id], 1, _app_id(stack))[0].events[0]
    signed_bodies = {
        "malformed JSON": b'[{"eventId": 1,',
        "not a list": b'{"events": []}',
        "time out of range": _body([{**event, "occurredAt": 253_402_300_800_000}]),
        "time 1e20": _body([{**event, "occurredAt": 1e20}]),
        "object id out of range": _body([{**event, "objectId": 10**20}]),
        "portal id out of range": _body([{**event, "portalId": 2**64}]),
    }
    sent = [_post(stack, label, body, _signed(stack, body)) for label, body in signed_bodies.items()]
    sent.append(_post(stack, "not UTF-8", NOT_UTF8, _v3_over_bytes(stack, NOT_UTF8)))
    good = _body([event])
    sent.append(_post(stack, "unsigned", good, {}))
    sent.append(
        _post(stack, "non-ASCII signature", good, {**_signed(stack, good), "X-HubSpot-Signature-v3": "é"})
    )
    oversized = b" " * (settings.WEBHOOK_MAX_BODY_BYTES + 1)
    sent.append(_post(stack, "oversized", oversized, _signed(stack, oversized)))
    return _refusals(stack, "bad inputs", [lead_id], sent, expected=None)


def _v3_over_bytes(stack: Stack, body: bytes) -> dict[str, str]:
    """A v3 signature over bytes that are not text (the sandbox's helper signs text)."""
    signed_at = str(now_ms())
    message = b"POST" + v3_uri(stack.events_url).encode() + body + signed_at.encode()
    digest = hmac.new(stack.secret.encode(), message, hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": signed_at,
    }


def _body(events: Sequence[dict]) -> bytes:
    return json.dumps(list(events), separators=(",", ":")).encode()


def _refusals(
    stack: Stack, name: str, ids: Sequence[str], sent: Sequence[Sent], expected: int | None
) -> DrillResult:
    """``expected``: the status every request must get; None: any 4xx (or 200 for a delivery whose
    events were all marked failed), never a 5xx."""
    settle(stack)
    delivery_ids = [item.delivery_id for item in sent if item.delivery_id]
    processed = WebhookEvent.objects.filter(delivery_id__in=delivery_ids).exclude(outcome__in=FAILED_OUTCOMES)
    refused_rows = WebhookDelivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.REJECTED)
    kept = max((len(body.encode()) for body in refused_rows.values_list("body", flat=True)), default=0)
    problems = [
        f"{item.label}: answered {item.status or 'nothing'}"
        for item in sent
        if (item.status != expected if expected else not item.status or item.status >= 500)
    ]
    if kept > REFUSED_BODY_KEPT:
        problems.append(f"a refused request's body was kept whole ({kept:,} bytes)")
    if processed.exists():
        problems.append(f"{processed.count()} events of refused requests were taken in")
    stored = Lead.objects.filter(connection=stack.connection, external_id__in=list(ids)).count()
    if stored:
        problems.append(f"{stored} leads were taken in from refused requests")
    refused = sum(1 for item in sent if item.status and 400 <= item.status < 500)
    return DrillResult(
        name=name,
        sent=len(sent),
        refused=refused,
        stored=stored,
        routed=0,
        written=0,
        lost=0,
        duplicated=0,
        recover_seconds=None,
        notes=[f"answers: {_statuses(sent)}; refused bodies kept: at most {kept:,} bytes each"],
        problems=problems,
    )


def _statuses(sent: Sequence[Sent]) -> str:
    """``label status`` for each kind of request, e.g. ``stale v3 401 x4``."""
    counts: dict[tuple[str, int | None], int] = {}
    for item in sent:
        counts[item.label, item.status] = counts.get((item.label, item.status), 0) + 1
    return ", ".join(
        f"{label} {status or 'no answer'}" + (f" x{count}" if count > 1 else "")
        for (label, status), count in counts.items()
    )
