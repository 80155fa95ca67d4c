"""What the HubSpot and monday sandboxes share: control-client basics, quiet serving, stopping on signals."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from typing import Any, Self

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No per-request access log lines (the sandbox keeps its own request log)."""


class ServedInThread:
    """Stopping a sandbox served in a background thread (hubspot/server.py, monday/server.py): serving
    ends first, then its background services (``_stop_services``), then the socket closes."""

    _server: BaseWSGIServer
    _thread: threading.Thread

    def _stop_services(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._stop_services()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    """The first SIGINT/SIGTERM stops serving; later ones are ignored so the shutdown (and the last save of
    a state file) can finish: on Ctrl-C, honcho sends SIGTERM right after the terminal's SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)


class ControlClient:
    """The calls every sandbox's control API (``/_sandbox``) answers the same way."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.base_url}/_sandbox{path}", timeout=self.timeout, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self, **body: Any) -> dict:
        return self._call("POST", "/reset", json=body)

    def configure(self, **changes: Any) -> dict:
        return self._call("PATCH", "/config", json=changes)

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def set_faults(self, **settings: Any) -> dict:
        return self._call("PUT", "/faults", json=settings)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def clock(self) -> dict:
        """``{"nowMs", "offsetSeconds"}``: the sandbox's time and how far tests moved it (clock.py)."""
        return self._call("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict:
        """Move the sandbox's clock forward (token expiry, rate windows, timestamps); a reset undoes it."""
        return self._call("POST", "/clock", json={"advance": seconds})

    def configure_webhooks(self, **settings: Any) -> dict:
        return self._call("PUT", "/webhooks", json=settings)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook delivery has been attempted (True) or ``timeout`` passed."""
        response = requests.post(
            f"{self.base_url}/_sandbox/webhooks/wait",
            json={"timeout": timeout},
            timeout=timeout + self.timeout,
        )
        return bool(response.json().get("idle"))


def add_server_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    """``--host``, ``--port`` and ``--seed``, taken by every sandbox (hubspot/cli.py, monday/cli.py)."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; keep it loopback)"
    )
    parser.add_argument(
        "--port", type=int, default=default_port, help=f"port (default {default_port}; 0 = any free)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated data (default 1)")


def add_state_file_argument(parser: argparse.ArgumentParser, kept: str) -> None:
    """``--state-file``, taken by every sandbox (persistence.py); ``kept`` names what the file holds."""
    parser.add_argument(
        "--state-file",
        dest="state_file",
        metavar="PATH",
        help=f"persist the whole state ({kept}) in this JSON file: loaded at start when it exists instead "
        "of seeding, saved after changes and on shutdown",
    )
