"""HubSpot webhook batches as HubSpot sends them, posted from concurrent senders with each answer timed.

No Django here: batches are plain JSON arrays of ``object.*`` lead events (object type ``0-136``),
signed v1 + v3 by the sandbox's signing helper, the same one the sandbox uses for its own deliveries.
"""

from __future__ import annotations

import json
import math
import queue
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from devtools.sandboxes.hubspot.signing import signed_headers

LEAD_TYPE_ID = "0-136"
CREATION_SUBSCRIPTION = 1
PROPERTY_SUBSCRIPTION = 2
#: One event in this many is a propertyChange, the rest creations.
PROPERTY_CHANGE_EVERY = 5
#: Stored with each delivery's headers: how a later run finds what a kept run left.
USER_AGENT = "HubSpot Connect 2.0 (lead-routing benchmark) - Webhooks"


@dataclass(frozen=True)
class Batch:
    """One webhook request. A re-sent batch (HubSpot's retry) repeats ``retry_of``'s events."""

    number: int
    events: tuple[dict[str, Any], ...]
    retry_of: int | None = None


@dataclass(frozen=True)
class Answer:
    batch: Batch
    status: int | None  # None: no HTTP answer (connection error, timeout)
    seconds: float
    delivery_id: int | None = None
    error: str = ""


@dataclass
class _Senders:
    url: str
    secret: str
    timeout: float
    work: queue.Queue[Batch] = field(default_factory=queue.Queue)
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def lead_event(portal_id: int, event_id: int, lead_id: str, occurred_ms: int, app_id: int) -> dict[str, Any]:
    """An ``object.creation`` event, or every ``PROPERTY_CHANGE_EVERY``-th an ``object.propertyChange``."""
    event: dict[str, Any] = {
        "eventId": event_id,
        "portalId": portal_id,
        "appId": app_id,
        "occurredAt": occurred_ms,
        "attemptNumber": 0,
        "objectTypeId": LEAD_TYPE_ID,
        "objectId": int(lead_id),
        "changeSource": "CRM_UI",
    }
    if event_id % PROPERTY_CHANGE_EVERY:
        return {**event, "subscriptionId": CREATION_SUBSCRIPTION, "subscriptionType": "object.creation",
                "changeFlag": "NEW"}  # fmt: skip
    return {**event, "subscriptionId": PROPERTY_SUBSCRIPTION, "subscriptionType": "object.propertyChange",
            "propertyName": "hs_lead_name", "propertyValue": f"Lead {lead_id}"}  # fmt: skip


def lead_batches(portal_id: int, lead_ids: Sequence[str], per_batch: int, app_id: int) -> list[Batch]:
    """One event per lead id, ``per_batch`` events a batch, in id order."""
    occurred = int(time.time() * 1000)
    events = [
        lead_event(portal_id, number, lead_id, occurred + number, app_id)
        for number, lead_id in enumerate(lead_ids, start=1)
    ]
    return [
        Batch(index, tuple(events[start : start + per_batch]))
        for index, start in enumerate(range(0, len(events), per_batch), start=1)
    ]


def with_retries(batches: Sequence[Batch], share: float, seed: int = 1) -> list[Batch]:
    """``batches`` plus ``share`` of them sent again (``attemptNumber`` + 1), each somewhere after its
    original, as HubSpot re-sends a batch whose answer it did not get in time."""
    rng = random.Random(seed)
    count = min(len(batches), round(len(batches) * share))
    order = list(batches)
    for number, original in enumerate(sorted(rng.sample(list(batches), count), key=lambda b: b.number)):
        retry = Batch(
            len(batches) + number + 1,
            tuple({**event, "attemptNumber": event["attemptNumber"] + 1} for event in original.events),
            retry_of=original.number,
        )
        after = order.index(original) + 1
        order.insert(rng.randint(after, len(order)), retry)
    return order


def send_all(
    url: str, batches: Sequence[Batch], *, senders: int, secret: str, timeout: float = 30
) -> list[Answer]:
    """POST every batch from ``senders`` threads (one ``requests.Session`` each); answers in send order
    of completion. The clock runs from just before the request is written to the answer's last byte."""
    state = _Senders(url, secret, timeout)
    for batch in batches:
        state.work.put(batch)
    threads = [
        threading.Thread(target=_sender, args=(state,), name=f"webhook-sender-{n}") for n in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return state.answers


def _sender(state: _Senders) -> None:
    with requests.Session() as session:
        while True:
            try:
                batch = state.work.get_nowait()
            except queue.Empty:
                return
            answer = _post(session, state, batch)
            with state.lock:
                state.answers.append(answer)


def _post(session: requests.Session, state: _Senders, batch: Batch) -> Answer:
    body = json.dumps(list(batch.events), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    headers.update(signed_headers("v1", state.secret, "POST", state.url, body, int(time.time() * 1000)))
    started = time.perf_counter()
    try:
        response = session.post(state.url, data=body, headers=headers, timeout=state.timeout)
    except requests.RequestException as error:
        return Answer(batch, None, time.perf_counter() - started, error=f"{type(error).__name__}: {error}")
    seconds = time.perf_counter() - started
    try:
        delivery_id = response.json().get("delivery")
    except ValueError:
        delivery_id = None
    return Answer(
        batch, response.status_code, seconds, delivery_id, "" if response.ok else response.text[:200]
    )


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
