"""Board webhooks as monday sends them (its webhook docs); crm_integrations/monday/ verifies and takes them
in.

* Subscribing (``create_webhook`` or ``PUT /_sandbox/webhooks``) first POSTs ``{"challenge": "..."}`` to
  the URL, which must answer 200 with the same JSON, else the subscription is refused.
* Each event is one POST ``{"event": {...}}`` with monday's older type names (``create_pulse``,
  ``update_column_value``, ``update_name``; a status column reports ``columnType: "color"``).
* Webhooks created with an app's (OAuth) token carry ``Authorization: <JWT>`` signed HS256 with the app's
  signing secret (claims ``accountId``, ``userId``, ``aud`` = the URL, ``exp``, ``shortLivedToken``);
  webhooks created with a personal token carry none.
* A failed delivery (no answer, or not 2xx) is retried once a minute for 30 minutes
  (``webhook_retry_delay`` times ``retry_time_scale``, ``webhook_max_retries`` times), with ``isRetry``.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import secrets
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
import requests

from .state import ItemChange, SandboxState
from .values import webhook_value

EVENTS = (
    "create_item",
    "change_column_value",
    "change_specific_column_value",
    "change_status_column_value",
    "change_name",
)
PAYLOAD_TYPES = {
    "create_item": "create_pulse",
    "change_column_value": "update_column_value",
    "change_name": "update_name",
}


@dataclass
class Webhook:
    id: int
    board_id: int
    url: str
    event: str
    config: dict[str, Any]
    signed: bool

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "board_id": str(self.board_id),
            "event": self.event,
            "config": json.dumps(self.config) if self.config else None,
        }

    def matches(self, change: ItemChange, column_type: str | None) -> bool:
        if change.board_id != self.board_id:
            return False
        if self.event in ("create_item", "change_name"):
            return change.kind == self.event
        if change.kind != "change_column_value":
            return False
        if self.event == "change_column_value":
            return True
        if self.event == "change_specific_column_value":
            return change.column_id == self.config.get("columnId")
        if self.event == "change_status_column_value":
            if column_type != "status" or self.config.get("columnId", change.column_id) != change.column_id:
                return False
            wanted = self.config.get("columnValue")
            return self.config.get("$any$", wanted is None) or (change.value or {}).get("index") == (
                wanted or {}
            ).get("index")
        return False


@dataclass
class Delivery:
    id: int
    webhook_id: int
    url: str
    event: dict[str, Any]
    signed: bool
    user_id: int
    status: str = "pending"  # pending, retrying, delivered, failed
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhookId": self.webhook_id,
            "url": self.url,
            "type": self.event.get("type"),
            "pulseId": self.event.get("pulseId"),
            "columnId": self.event.get("columnId"),
            "triggerUuid": self.event.get("triggerUuid"),
            "signed": self.signed,
            "status": self.status,
            "attempts": list(self.attempts),
        }


class Webhooks:
    """Subscriptions, the event builder and a scheduler thread feeding a small pool of senders."""

    def __init__(self, state: SandboxState, max_workers: int = 4, history: int = 5000) -> None:
        self.state = state
        self._lock = threading.Condition()
        self._hooks: dict[int, Webhook] = {}
        self._next_id = 1  # subscription ids are never reused, across restarts too (snapshot.py)
        self._delivery_ids = itertools.count(1)
        self._heap: list[tuple[float, int, Delivery]] = []
        self._in_flight = 0
        self._log: deque[Delivery] = deque(maxlen=history)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="monday-webhook")
        self._thread = threading.Thread(target=self._run, name="monday-webhook-scheduler", daemon=True)
        self._stopping = False
        state.subscribe(self.on_change)

    # --- subscriptions ----------------------------------------------------------------------------
    def jwt_for(self, url: str, user_id: int) -> str:
        now = int(time.time())
        claims = {
            "accountId": self.state.config.account_id,
            "userId": user_id,
            "aud": url,
            "iat": now,
            "exp": now + self.state.config.webhook_jwt_ttl,
            "shortLivedToken": secrets.token_urlsafe(24),
        }
        return jwt.encode(claims, self.state.config.signing_secret, algorithm="HS256")

    def challenge(self, url: str, signed: bool, user_id: int) -> tuple[bool, str]:
        """POST ``{"challenge": ...}`` and expect it back (200, same JSON). Returns (ok, detail)."""
        value = secrets.token_urlsafe(24)
        headers = {"Content-Type": "application/json", "User-Agent": "monday.com webhooks (sandbox)"}
        if signed:
            headers["Authorization"] = self.jwt_for(url, user_id)
        try:
            response = requests.post(
                url, json={"challenge": value}, headers=headers, timeout=self.state.config.webhook_timeout
            )
        except requests.RequestException as error:
            return False, f"{type(error).__name__}"
        try:
            echoed = response.json().get("challenge")
        except (ValueError, AttributeError):
            echoed = None
        if response.status_code != 200 or echoed != value:
            return (
                False,
                f"HTTP {response.status_code}, challenge {'echoed' if echoed == value else 'not echoed'}",
            )
        return True, "ok"

    def subscribe(
        self,
        board_id: int,
        url: str,
        event: str,
        config: dict[str, Any],
        *,
        signed: bool,
        user_id: int | None = None,
    ) -> Webhook | None:
        """Challenge ``url``, then add the subscription; None when the challenge fails."""
        if event not in EVENTS:
            raise ValueError(f"this sandbox sends {', '.join(EVENTS)} webhooks, not {event}")
        ok, _ = self.challenge(url, signed, user_id or min(self.state.users))
        if not ok:
            return None
        with self._lock:
            hook = Webhook(self._next_id, board_id, url, event, dict(config), signed)
            self._next_id += 1
            self._hooks[hook.id] = hook
            return hook

    def unsubscribe(self, hook_id: int) -> Webhook | None:
        with self._lock:
            return self._hooks.pop(hook_id, None)

    def clear(self) -> None:
        with self._lock:
            self._hooks.clear()
            self._heap.clear()
            self._log.clear()

    def for_board(self, board_id: int) -> list[Webhook]:
        with self._lock:
            return [hook for hook in self._hooks.values() if hook.board_id == board_id]

    def view(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**hook.view(), "url": hook.url, "signed": hook.signed} for hook in self._hooks.values()]

    def saved(self) -> tuple[list[Webhook], int]:
        """Copies of the subscriptions and the next subscription id, for the state file (snapshot.py)."""
        with self._lock:
            hooks = [dataclasses.replace(hook, config=dict(hook.config)) for hook in self._hooks.values()]
            return hooks, self._next_id

    def restore(self, hooks: list[Webhook], next_id: int) -> None:
        """Subscriptions from the state file replace the current ones (queued deliveries are dropped)."""
        with self._lock:
            self._hooks = {hook.id: hook for hook in hooks}
            self._next_id = max([next_id, *(hook.id + 1 for hook in hooks)])
            self._heap.clear()

    # --- events -----------------------------------------------------------------------------------
    def on_change(self, change: ItemChange) -> None:
        """Called under the state lock: builds the events and queues them."""
        board = self.state.boards.get(change.board_id)
        item = board.items.get(change.item_id) if board else None
        if board is None or item is None:
            return
        column = board.columns.get(change.column_id or "")
        with self._lock:
            hooks = [
                hook for hook in self._hooks.values() if hook.matches(change, column.type if column else None)
            ]
        for hook in hooks:
            self.enqueue(hook, self._event(hook, change, board, item, column), change.user_id)

    def _event(self, hook: Webhook, change: ItemChange, board: Any, item: Any, column: Any) -> dict[str, Any]:
        group = board.groups.get(item.group_id)
        event: dict[str, Any] = {
            "app": "monday",
            "type": PAYLOAD_TYPES[change.kind],
            "triggerTime": datetime.fromtimestamp(change.occurred_ms / 1000, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "subscriptionId": hook.id,
            "isRetry": False,
            "userId": change.user_id,
            "originalTriggerUuid": None,
            "boardId": board.id,
            "groupId": item.group_id,
            "pulseId": item.id,
            "pulseName": item.name,
            "triggerUuid": uuid.uuid4().hex,
        }
        if change.kind == "create_item":
            event |= {
                "groupName": group.title if group else "",
                "groupColor": group.color if group else "",
                "isTopGroup": item.group_id == next(iter(board.groups)),
                "columnValues": {
                    column_id: webhook_value(self.state, board.columns[column_id], value)
                    for column_id, value in item.values.items()
                    if column_id in board.columns
                },
            }
        elif change.kind == "change_name":
            event |= {
                "columnId": "name",
                "columnType": "name",
                "columnTitle": "Name",
                "value": {"name": change.value},
                "previousValue": {"name": change.previous_value},
                "changedAt": change.occurred_ms / 1000,
                "isTopGroup": item.group_id == next(iter(board.groups)),
            }
        else:
            event |= {
                "columnId": column.id,
                "columnType": "color" if column.type == "status" else column.type,
                "columnTitle": column.title,
                "value": webhook_value(self.state, column, change.value),
                "previousValue": webhook_value(self.state, column, change.previous_value),
                "changedAt": change.occurred_ms / 1000,
                "isTopGroup": item.group_id == next(iter(board.groups)),
            }
        return event

    # --- delivery ---------------------------------------------------------------------------------
    def enqueue(self, hook: Webhook, event: dict[str, Any], user_id: int) -> None:
        with self._lock:
            delivery = Delivery(next(self._delivery_ids), hook.id, hook.url, event, hook.signed, user_id)
            self._log.append(delivery)
            heapq.heappush(self._heap, (time.monotonic(), delivery.id, delivery))
            self._lock.notify_all()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [delivery.view() for delivery in self._log]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is due now or in flight (later retries do not count)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight or (self._heap and self._heap[0][0] <= time.monotonic()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.05))
            return True

    def _run(self) -> None:
        with self._lock:
            while not self._stopping:
                if not self._heap:
                    self._lock.wait()
                    continue
                due, _, delivery = self._heap[0]
                if due > time.monotonic():
                    self._lock.wait(due - time.monotonic())
                    continue
                heapq.heappop(self._heap)
                self._in_flight += 1
                self._pool.submit(self._attempt, delivery)

    def _attempt(self, delivery: Delivery) -> None:
        config = self.state.config
        retry = len(delivery.attempts) > 0
        event = {**delivery.event, "isRetry": retry}
        if retry:
            event["originalTriggerUuid"] = delivery.event["triggerUuid"]
        headers = {"Content-Type": "application/json", "User-Agent": "monday.com webhooks (sandbox)"}
        if delivery.signed:
            headers["Authorization"] = self.jwt_for(delivery.url, delivery.user_id)
        started, status, error = time.time(), None, None
        try:
            response = requests.post(
                delivery.url,
                data=json.dumps({"event": event}),
                headers=headers,
                timeout=config.webhook_timeout,
            )
            status = response.status_code
        except requests.RequestException as exc:
            error = type(exc).__name__
        ok = status is not None and 200 <= status < 300
        with self._lock:
            delivery.attempts.append(
                {
                    "at": started,
                    "status": status,
                    "error": error,
                    "durationMs": round((time.time() - started) * 1000, 1),
                }
            )
            if ok:
                delivery.status = "delivered"
            elif len(delivery.attempts) > config.webhook_max_retries:
                delivery.status = "failed"
            else:
                delivery.status = "retrying"
                delay = config.webhook_retry_delay * config.retry_time_scale
                heapq.heappush(self._heap, (time.monotonic() + delay, delivery.id, delivery))
            self._in_flight -= 1
            self._lock.notify_all()
