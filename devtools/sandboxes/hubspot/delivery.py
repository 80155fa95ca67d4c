"""Outbound HTTP deliveries (webhooks) with retry schedules, run on background threads.

A :class:`Delivery` knows how to build its body and headers for each attempt (HubSpot bumps ``attemptNumber``
and re-signs), which outcomes are retried, and the delays between attempts.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from .timeutil import iso, now_ms

# (attempt number) -> (body, headers)
BuildRequest = Callable[[int], tuple[bytes, dict[str, str]]]
# (status or None for a connection error/timeout, response headers) -> retry?, and an explicit delay or None
RetryRule = Callable[[int | None, dict[str, str]], tuple[bool, float | None]]


def retry_any_failure(status: int | None, headers: dict[str, str]) -> tuple[bool, float | None]:
    """App webhooks: HubSpot retries connection failures, timeouts and any 4xx/5xx."""
    return True, None


def retry_workflow(status: int | None, headers: dict[str, str]) -> tuple[bool, float | None]:
    """Workflow webhooks: no retry on 4xx except 429, which honours ``Retry-After`` (milliseconds)."""
    if status == 429:
        value = headers.get("Retry-After", "")
        return True, int(value) / 1000 if value.isdigit() else None
    return status is None or status >= 500, None


@dataclass
class Delivery:
    kind: str  # "app" or "workflow"
    portal_id: int
    url: str
    build: BuildRequest
    delays: tuple[float, ...]
    retry_rule: RetryRule
    timeout: float
    summary: dict[str, Any] = field(default_factory=dict)
    id: int = 0
    status: str = "pending"  # pending, retrying, delivered, failed
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "portalId": self.portal_id,
            "url": self.url,
            "status": self.status,
            "attempts": list(self.attempts),
            **self.summary,
        }


class Deliverer:
    """A scheduler thread (due times in a heap) feeding bounded pools of sender threads, one per
    installing account (portal): HubSpot keeps at most ``maxConcurrentRequests`` (10) requests in
    flight per installing account (../shared/reference/hubspot-api.md, "Batching/concurrency"), so one
    portal's burst never queues another portal's webhooks behind its own."""

    def __init__(
        self, max_workers: int, time_scale: Callable[[], float], seed: int, history: int = 5000
    ) -> None:
        self._max_workers = max_workers
        self._pools: dict[int, ThreadPoolExecutor] = {}
        self._time_scale = time_scale
        self._rng = random.Random(seed)
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._ids = itertools.count(1)
        self._in_flight = 0
        self._log: deque[Delivery] = deque(maxlen=history)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="hubspot-webhook-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for pool in list(self._pools.values()):
            pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, delivery: Delivery) -> Delivery:
        with self._cond:
            delivery.id = next(self._ids)
            self._log.append(delivery)
            heapq.heappush(self._heap, (time.monotonic(), delivery.id, delivery))
            self._cond.notify_all()
        return delivery

    def log(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [d.view() for d in self._log if kind is None or d.kind == kind]

    def clear_log(self) -> None:
        with self._cond:
            self._log.clear()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is due *now* or in flight (later retries do not count). True when idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._in_flight or (self._heap and self._heap[0][0] <= time.monotonic()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def _pool(self, portal_id: int) -> ThreadPoolExecutor:
        """The portal's senders (made on its first delivery; called under ``_cond``)."""
        if portal_id not in self._pools:
            self._pools[portal_id] = ThreadPoolExecutor(
                max_workers=self._max_workers, thread_name_prefix=f"hubspot-webhook-{portal_id}"
            )
        return self._pools[portal_id]

    def _run(self) -> None:
        with self._cond:
            while not self._stopping:
                if not self._heap:
                    self._cond.wait()
                    continue
                due, _, delivery = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._in_flight += 1
                self._pool(delivery.portal_id).submit(self._attempt, delivery)

    def _attempt(self, delivery: Delivery) -> None:
        number = len(delivery.attempts)
        body, headers = delivery.build(number)
        started, status, error, response_headers = now_ms(), None, None, {}
        try:
            response = requests.post(delivery.url, data=body, headers=headers, timeout=delivery.timeout)
            status, response_headers = response.status_code, dict(response.headers)
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        with self._cond:
            delivery.attempts.append(
                {
                    "attemptNumber": number,
                    "at": iso(started),
                    "status": status,
                    "error": error,
                    "durationMs": now_ms() - started,
                }
            )
            self._in_flight -= 1
            if status is not None and 200 <= status < 300:
                delivery.status = "delivered"
            else:
                self._schedule_retry(delivery, status, response_headers)
            self._cond.notify_all()

    def _schedule_retry(self, delivery: Delivery, status: int | None, headers: dict[str, str]) -> None:
        retry, explicit = delivery.retry_rule(status, headers)
        retries_done = len(delivery.attempts) - 1
        if not retry or retries_done >= len(delivery.delays) or self._stopping:
            delivery.status = "failed"
            return
        if explicit is not None:
            delay = explicit
        else:
            delay = delivery.delays[retries_done] * self._time_scale() * self._rng.uniform(0.9, 1.1)
        delivery.status = "retrying"
        heapq.heappush(self._heap, (time.monotonic() + delay, delivery.id, delivery))
