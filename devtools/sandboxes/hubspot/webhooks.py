"""App webhooks (v3): subscriptions, batches of ≤100 events, v1+v3 signatures, retries.

Record changes are collected for ``webhook_batch_window`` seconds, grouped per portal into JSON arrays of at
most 100 events, and POSTed to the app's target URL. A retry re-sends the events with ``attemptNumber`` + 1.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from .delivery import Deliverer, Delivery, retry_any_failure
from .object_types import find_object_type, object_type
from .signing import signed_headers
from .state import RecordChange, SandboxState
from .timeutil import now_ms

BATCH_SIZE = 100
UNSUBSCRIBABLE = {"hs_lastmodifieddate", "lastmodifieddate", "num_unique_conversion_events"}
KINDS = ("creation", "propertyChange", "deletion")


@dataclass
class Subscription:
    """``subscriptionType`` is classic (``contact.propertyChange``) or generic (``object.creation`` +
    ``objectTypeId``). A propertyChange subscription without ``propertyName`` (a sandbox extension) matches
    every property except the ones HubSpot does not allow."""

    id: int
    subscriptionType: str
    objectTypeId: str | None = None
    propertyName: str | None = None
    active: bool = True

    def matches(self, change: RecordChange) -> bool:
        prefix, _, kind = self.subscriptionType.partition(".")
        otype = object_type(change.object_type)
        if not self.active or kind != change.kind:
            return False
        if prefix == "object":
            if find_object_type(self.objectTypeId or "") is not otype:
                return False
        elif prefix != otype.singular or not otype.classic_webhooks:
            return False
        if change.kind == "propertyChange":
            if change.property_name in UNSUBSCRIBABLE:
                return False
            return self.propertyName in (None, change.property_name)
        return True


def default_subscriptions() -> list[Subscription]:
    items: list[tuple[str, str | None]] = [
        (f"{singular}.{kind}", None) for singular in ("contact", "company", "deal") for kind in KINDS
    ]
    items += [(f"object.{kind}", "0-136") for kind in KINDS]
    return [Subscription(index, kind, type_id) for index, (kind, type_id) in enumerate(items, start=1)]


class AppWebhooks:
    def __init__(self, state: SandboxState, deliverer: Deliverer) -> None:
        self._state = state
        self._deliverer = deliverer
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._flushing = 0
        self._wake = threading.Event()
        self.next_event_id = state.config.seed * 1_000_000 + 1  # used and saved under the state lock
        self.subscriptions = default_subscriptions()
        self._thread = threading.Thread(target=self._run, name="hubspot-webhook-batcher", daemon=True)
        state.subscribe(self.on_change)

    # --- settings ------------------------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        config = self._state.config
        return {
            "targetUrl": config.webhook_target_url,
            "timeout": config.webhook_timeout,
            "retryDelays": list(config.webhook_retry_delays),
            "retryTimeScale": config.retry_time_scale,
            "subscriptions": [asdict(item) for item in self.subscriptions],
        }

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        config = self._state.config
        if "targetUrl" in body:
            config.webhook_target_url = body["targetUrl"] or None
        if "timeout" in body:
            config.webhook_timeout = float(body["timeout"])
        if "retryDelays" in body:
            config.webhook_retry_delays = tuple(float(delay) for delay in body["retryDelays"])
        if "retryTimeScale" in body:
            config.retry_time_scale = float(body["retryTimeScale"])
        if "subscriptions" in body:
            self.subscriptions = [
                Subscription(
                    index,
                    item["subscriptionType"],
                    item.get("objectTypeId"),
                    item.get("propertyName"),
                    item.get("active", True),
                )
                for index, item in enumerate(body["subscriptions"], start=1)
            ]
        return self.settings()

    # --- events --------------------------------------------------------------------------------------------
    def on_change(self, change: RecordChange) -> None:
        """Called under the state lock: only builds events and queues them."""
        if not self._state.config.webhook_target_url:
            return
        events = [self._event(sub, change) for sub in self.subscriptions if sub.matches(change)]
        if events:
            with self._lock:
                self._pending.extend(events)
            self._wake.set()

    def _new_event_id(self) -> int:
        event_id, self.next_event_id = self.next_event_id, self.next_event_id + 1
        return event_id

    def _event(self, sub: Subscription, change: RecordChange) -> dict[str, Any]:
        event: dict[str, Any] = {
            "eventId": self._new_event_id(),
            "subscriptionId": sub.id,
            "portalId": change.portal_id,
            "appId": self._state.config.app_id,
            "occurredAt": change.occurred_ms,
            "subscriptionType": sub.subscriptionType,
            "attemptNumber": 0,
            "objectId": change.object_id,
            "changeSource": change.source.source_type,
        }
        if change.source.source_id:
            event["sourceId"] = change.source.source_id
        if sub.subscriptionType.startswith("object."):
            event["objectTypeId"] = object_type(change.object_type).type_id
        if change.kind == "creation":
            event["changeFlag"] = "NEW"
        elif change.kind == "deletion":
            event["changeFlag"] = "DELETED"
        else:
            event["propertyName"] = change.property_name
            event["propertyValue"] = change.property_value
        return event

    # --- batching ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._state.stop_event.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._state.stop_event.is_set():
            self._wake.wait()
            self._state.stop_event.wait(self._state.config.webhook_batch_window)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._flushing += 1
        try:
            url = self._state.config.webhook_target_url
            by_portal: dict[int, list[dict[str, Any]]] = {}
            for event in pending if url else []:
                by_portal.setdefault(event["portalId"], []).append(event)
            for portal_id, events in by_portal.items():
                for start in range(0, len(events), BATCH_SIZE):
                    self._send(portal_id, url, events[start : start + BATCH_SIZE])
        finally:
            with self._lock:
                self._flushing -= 1

    def wait_idle(self, timeout: float) -> bool:
        """Wait until queued events are sent and no delivery is due now. True when idle in time."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                batching = bool(self._pending) or self._flushing > 0
            if not batching:
                return self._deliverer.wait_idle(max(deadline - time.monotonic(), 0))
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def _send(self, portal_id: int, url: str, events: list[dict[str, Any]]) -> None:
        secret = self._state.config.client_secret

        def build(attempt: int) -> tuple[bytes, dict[str, str]]:
            body = json.dumps(
                [{**event, "attemptNumber": attempt} for event in events], separators=(",", ":")
            )
            raw = body.encode("utf-8")
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "HubSpot Connect 2.0 (sandbox) - Webhooks",
            }
            headers.update(signed_headers("v1", secret, "POST", url, raw, now_ms()))
            return raw, headers

        config = self._state.config
        summary = {"events": len(events), "eventIds": [event["eventId"] for event in events]}
        delivery = Delivery(
            "app",
            portal_id,
            url,
            build,
            config.webhook_retry_delays,
            retry_any_failure,
            config.webhook_timeout,
            summary,
        )
        self._deliverer.submit(delivery)
