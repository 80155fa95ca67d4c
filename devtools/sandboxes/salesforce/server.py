"""Serving the sandbox: in a background thread (tests, scripts) or in the foreground (CLI, manage.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from ..common import QuietHandler, ServedInThread
from ..persistence import Persistence
from .app import OUTBOUND_KEY, PERSISTENCE_KEY, STATE_KEY, create_app
from .client import SandboxControl
from .config import SandboxConfig
from .state import SandboxState


@dataclass
class RunningSandbox(ServedInThread):
    base_url: str
    app: Flask
    state: SandboxState
    control: SandboxControl
    _server: BaseWSGIServer
    _thread: threading.Thread
    _persistence: Persistence | None = None  # with ``state_file`` only

    @property
    def instance_url(self) -> str:
        """Both ``login.salesforce.com`` and the org's ``instance_url`` here."""
        return self.base_url

    @property
    def org_id(self) -> str:
        return self.state.config.org_id

    def _stop_services(self) -> None:
        _stop_background(self.app)

    def save(self) -> None:
        """Write the state file now (with ``state_file`` only; otherwise a no-op)."""
        if self._persistence is not None:
            self._persistence.save()


def _bind(config: SandboxConfig, host: str, port: int, quiet: bool) -> tuple[Flask, BaseWSGIServer]:
    app = create_app(config)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler if quiet else None)
    app.extensions[OUTBOUND_KEY].base_url = f"http://{host}:{server.server_port}"
    app.extensions[OUTBOUND_KEY].start()
    if app.extensions[PERSISTENCE_KEY] is not None:
        app.extensions[PERSISTENCE_KEY].start()
    return app, server


def _stop_background(app: Flask) -> None:
    """The Outbound Message sender, then the state file's saver (which saves a last time)."""
    app.extensions[OUTBOUND_KEY].stop()
    if app.extensions[PERSISTENCE_KEY] is not None:
        app.extensions[PERSISTENCE_KEY].stop()


def start_sandbox(
    port: int = 0, host: str = "127.0.0.1", quiet: bool = True, **config: Any
) -> RunningSandbox:
    """Serve a new sandbox on ``host:port`` (0 = a free port) in a daemon thread; ``.stop()`` when done.

    ``config`` takes any :class:`SandboxConfig` field (``seed_leads=200``, ``query_batch_size=200``, ...).
    """
    app, server = _bind(SandboxConfig.from_kwargs(**config), host, port, quiet)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.1,), name="salesforce-sandbox", daemon=True
    )
    thread.start()
    base_url = f"http://{host}:{server.server_port}"
    return RunningSandbox(
        base_url,
        app,
        app.extensions[STATE_KEY],
        SandboxControl(base_url),
        server,
        thread,
        app.extensions[PERSISTENCE_KEY],
    )


def serve_forever(
    config: SandboxConfig, host: str, port: int, announce: Callable[[str], None] = print
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C / SIGTERM)."""
    app, server = _bind(config, host, port, quiet=False)
    base = f"http://{host}:{server.server_port}"
    announce(f"Salesforce sandbox listening on {base} (login host and instance_url; REST at /services/data)")
    announce(
        f"org: {config.org_id}  client id: {config.client_id}  Outbound Messages to: {config.outbound_url}"
    )
    if app.extensions[PERSISTENCE_KEY] is not None:
        announce(app.extensions[PERSISTENCE_KEY].status)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        _stop_background(app)
        server.server_close()
