"""The sandbox's webhook senders, per installing account as HubSpot's (at most
``maxConcurrentRequests`` in flight per portal): a portal whose endpoint answers slowly never holds
back another portal's webhooks."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devtools.sandboxes.hubspot.delivery import Deliverer, Delivery, retry_any_failure


@pytest.fixture
def endpoint():
    """A local endpoint: requests for /slow wait until released, /fast ones answer at once."""
    release = threading.Event()
    answered: list[tuple[str, float]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/slow":
                release.wait(10)
            answered.append((self.path, time.monotonic()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", release, answered
    release.set()
    server.shutdown()


def delivery(portal_id: int, url: str) -> Delivery:
    return Delivery("app", portal_id, url, lambda attempt: (b"[]", {}), (), retry_any_failure, timeout=10)


def test_one_portals_slow_deliveries_do_not_hold_back_another_portals(endpoint):
    base, release, answered = endpoint
    deliverer = Deliverer(max_workers=2, time_scale=lambda: 1.0, seed=1)
    deliverer.start()
    try:
        for _ in range(4):  # portal 1 fills its two senders and queues two more behind them
            deliverer.submit(delivery(1, f"{base}/slow"))
        started = time.monotonic()
        deliverer.submit(delivery(2, f"{base}/fast"))
        deadline = time.monotonic() + 5
        while not any(path == "/fast" for path, _ in answered) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [path for path, _ in answered] == ["/fast"]  # portal 1's are all still waiting
        assert answered[0][1] - started < 2
    finally:
        release.set()
        deliverer.stop()
