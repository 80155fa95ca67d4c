"""Outbound Messages: a lead created or changed, or an opportunity reaching the configured stage, queues a
notification; a sender thread packs pending ones (at most 100 per message, one message per action) and
posts them to ``outbound_url`` until the receiver answers ``Ack`` true, as Salesforce does.

Salesforce keeps only the latest state of a record in the queue and reads its fields when it sends. A
message that is not acknowledged (an error status, no Ack, a timeout) is retried after
``outbound_retry_base`` seconds, doubling up to ``outbound_retry_max`` apart, and dropped once
``outbound_retry_window`` has passed since its first attempt. Unlike the other sandboxes' webhooks, the
schedule reads the sandbox's clock (devtools/sandboxes/clock.py), so tests advance it instead of sleeping.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

import requests

from .ids import make_id
from .outbound_xml import acked as is_acked
from .outbound_xml import envelope
from .state import Change, SandboxState

MAX_NOTIFICATIONS = 100
ACTIONS = {"Lead": make_id("04k", 1), "Opportunity": make_id("04k", 2)}
TICK = 0.02  # seconds between the sender's looks at its queue


@dataclass
class Message:
    id: int
    object_name: str
    record_ids: list[str]
    first_attempt: float | None = None
    next_attempt: float = 0.0
    attempts: int = 0
    state: str = "queued"  # queued, acked, dropped

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": self.object_name,
            "actionId": ACTIONS[self.object_name],
            "ids": list(self.record_ids),
            "attempts": self.attempts,
            "nextAttemptAt": self.next_attempt,
            "state": self.state,
        }


@dataclass
class Outbound:
    state: SandboxState
    base_url: str = ""
    pending: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in ACTIONS})
    messages: list[Message] = field(default_factory=list)
    attempts_log: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._busy = False
        self._ids = itertools.count(1)
        self._notification_ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self.state.subscribe(self.on_change)

    # --- queueing (under the state lock) ---------------------------------------------------------------
    def on_change(self, change: Change) -> None:
        config = self.state.config
        if not config.outbound_url:
            return
        record = self.state.records[change.object_name].get(change.record_id, {})
        if change.object_name == "Lead":
            wanted = config.outbound_lead_events == "create_and_edit" or (
                change.created and config.outbound_lead_events == "create"
            )
        elif change.object_name == "Opportunity":
            stage = config.outbound_opportunity_stage
            wanted = (
                bool(stage) and record.get("StageName") == stage and change.before.get("StageName") != stage
            )
        else:
            wanted = False
        if wanted:
            with self._lock:
                queue = self.pending[change.object_name]
                if change.record_id not in queue:  # only a record's latest state is sent
                    queue.append(change.record_id)
                self._lock.notify_all()

    # --- sending --------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="salesforce-outbound", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.state.stop_event.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self.state.stop_event.is_set():
            self.run_due()
            with self._lock:
                self._lock.wait(TICK)

    def run_due(self) -> int:
        """Pack pending notifications into messages, then attempt every message that is due; returns how
        many attempts were made."""
        with self._lock:
            if self._busy:
                return 0
            self._busy = True
            self._pack()
            now = self.state.clock.time()
            due = [m for m in self.messages if m.state == "queued" and m.next_attempt <= now]
        try:
            for message in due:
                self._attempt(message)
            return len(due)
        finally:
            with self._lock:
                self._busy = False
                self._lock.notify_all()

    def _pack(self) -> None:
        for object_name, queue in self.pending.items():
            while queue:
                batch, queue[:] = queue[:MAX_NOTIFICATIONS], queue[MAX_NOTIFICATIONS:]
                self.messages.append(Message(next(self._ids), object_name, batch))

    def _attempt(self, message: Message) -> None:
        config = self.state.config
        url = config.outbound_url
        with self.state.lock:
            now = self.state.clock.time()
            records = self.state.records[message.object_name]
            notifications = [
                (make_id("04l", next(self._notification_ids)), message.object_name, dict(records[rid]))
                for rid in message.record_ids
                if rid in records
            ]
        body = envelope(config.org_id, ACTIONS[message.object_name], self.base_url, notifications)
        status, acked, error = None, False, None
        try:
            response = self._session.post(
                str(url),
                data=body,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
                timeout=config.outbound_timeout,
            )
            status = response.status_code
            acked = response.ok and is_acked(response.content)
        except requests.RequestException as exc:
            error = type(exc).__name__
        with self._lock:
            message.attempts += 1
            message.first_attempt = message.first_attempt if message.first_attempt is not None else now
            entry = {"messageId": message.id, "object": message.object_name, "ids": list(message.record_ids)}
            entry.update(attempt=message.attempts, at=now, status=status, acked=acked, error=error)
            self.attempts_log.append(entry)
            if acked:
                message.state = "acked"
                return
            delay = min(config.outbound_retry_base * 2 ** (message.attempts - 1), config.outbound_retry_max)
            message.next_attempt = now + delay
            if message.next_attempt - message.first_attempt > config.outbound_retry_window:
                message.state = "dropped"

    # --- control API ----------------------------------------------------------------------------------
    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is pending, no attempt is under way and no queued message is due (a retry
        scheduled later does not count): True, or False when ``timeout`` passed first."""

        def idle() -> bool:
            now = self.state.clock.time()
            return (
                not self._busy
                and not any(self.pending.values())
                and not any(m.state == "queued" and m.next_attempt <= now for m in self.messages)
            )

        with self._lock:
            return self._lock.wait_for(idle, timeout=timeout)

    def view(self) -> list[dict[str, Any]]:
        with self._lock:
            return [message.view() for message in self.messages]

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.attempts_log)

    def clear(self) -> None:
        with self._lock:
            for queue in self.pending.values():
                queue.clear()
            self.messages.clear()
            self.attempts_log.clear()
