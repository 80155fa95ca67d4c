"""The sandboxes' clock: real time plus an offset that tests move forward instead of sleeping.

Token expiry, rate-limit and complexity windows, cursor lifetimes, signed-URL expiry and every timestamp
a sandbox writes read this clock (``SandboxState.clock`` in hubspot/state.py and monday/state.py). The
offset is zero until a test advances it through the control API (``POST /_sandbox/clock``, see
``add_clock_routes``), and every reset sets it back to zero, so ``make run`` and the benchmarks see
real time. Webhook retry scheduling stays on the real clock: a retry is due when real time says so.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    @property
    def offset(self) -> float:
        """Seconds the clock is ahead of real time."""
        with self._lock:
            return self._offset

    def time(self) -> float:
        """Epoch seconds, as ``time.time()``."""
        return time.time() + self.offset

    def now_ms(self) -> int:
        """Epoch milliseconds."""
        return time.time_ns() // 1_000_000 + round(self.offset * 1000)

    def monotonic(self) -> float:
        """Seconds for measuring windows, as ``time.monotonic()`` (moves with ``advance`` too)."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward (never back: stored timestamps would then lie in the future)."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"the clock only moves forward: seconds must be >= 0, not {seconds!r}")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0

    def view(self) -> dict[str, Any]:
        return {"nowMs": self.now_ms(), "offsetSeconds": self.offset}


def add_clock_routes(blueprint: Blueprint, clock_of: Callable[[], Clock]) -> None:
    """``GET /clock`` and ``POST /clock`` (``{"advance": seconds}``) on a sandbox's control blueprint,
    which keeps its own loopback-only guard (hubspot/control.py, monday/control.py)."""

    @blueprint.get("/clock")
    def get_clock() -> Response:
        return jsonify(clock_of().view())

    @blueprint.post("/clock")
    def advance_clock() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True)
        raw = body.get("advance") if isinstance(body, dict) else None
        try:
            if isinstance(raw, bool):
                raise TypeError
            clock_of().advance(float(raw))
        except (TypeError, ValueError):
            message = f"advance must be a number of seconds >= 0, not {raw!r}"
            return jsonify({"status": "error", "message": message}), 400
        return jsonify(clock_of().view())
