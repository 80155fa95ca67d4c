"""A bounded log of the requests a sandbox answered (shared by the sandboxes), for counting API calls."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class RequestLog:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)
        self._seq = 0

    def add(self, **entry: Any) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, **entry})

    def entries(
        self, since: int = 0, path_prefix: str | None = None, method: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._entries)
        return [
            item
            for item in items
            if item["seq"] > since
            and (path_prefix is None or item["path"].startswith(path_prefix))
            and (method is None or item["method"] == method.upper())
        ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq
