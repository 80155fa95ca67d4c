"""The session's HubSpot sandbox (tests/conftest.py), re-seeded for this folder before every test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from devtools.sandboxes.hubspot import RunningSandbox
from devtools.sandboxes.hubspot.config import DEFAULT_CLIENT_SECRET

SEED, SEED_LEADS = 7, 40


@pytest.fixture
def sandbox(hubspot_sandbox_server: RunningSandbox) -> Iterator[RunningSandbox]:
    """The session's sandbox, reset to seed 7 with 40 leads and the sandbox's own default client secret
    (what these tests assert against), then given back as the session's other tests expect it: their
    seed, client secret, runtime settings, retry delays, workflows and webhook subscriptions.

    Tests that need a sandbox configured otherwise at start (several portals, a state file, a CLI
    process) start their own: test_limits_and_faults.py, test_persistence.py, test_cli.py.
    """
    running = hubspot_sandbox_server
    config = running.state.config
    saved = config.runtime_view()
    saved_fixed = (config.seed, config.seed_leads, config.client_secret)
    saved_delays = (config.webhook_retry_delays, config.workflow_retry_delays, config.webhook_batch_window)
    subscriptions = running.control.configure_webhooks()["subscriptions"]
    config.client_secret = DEFAULT_CLIENT_SECRET
    running.control.reset(seed=SEED, seedLeads=SEED_LEADS)
    yield running
    config.update_runtime(saved)
    config.seed, config.seed_leads, config.client_secret = saved_fixed
    config.webhook_retry_delays, config.workflow_retry_delays, config.webhook_batch_window = saved_delays
    running.control.configure_workflows(actions=[])
    running.control.configure_webhooks(subscriptions=subscriptions)


class Api:
    """``requests`` against the sandbox with a bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, json=body, **kwargs)


@pytest.fixture
def api(sandbox: RunningSandbox) -> Api:
    return Api(sandbox.base_url, sandbox.control.access_token())


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny webhook endpoint: records every request and answers with ``statuses`` in turn (then 200)."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait (bounded) until ``count`` requests arrived."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            self.arrived.wait(0.05)
            self.arrived.clear()
        return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            target = box["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target.received.append(Received(self.path, dict(self.headers.items()), body))
            status = target.statuses.pop(0) if target.statuses else 200
            self.send_response(status)
            for name, value in target.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            target.arrived.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["receiver"] = Receiver(f"http://127.0.0.1:{server.server_port}/hubspot/webhooks?source=sandbox")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield box["receiver"]
    server.shutdown()
    server.server_close()
