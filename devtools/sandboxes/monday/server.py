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
from .app import PERSISTENCE_KEY, STATE_KEY, WEBHOOKS_KEY, create_app
from .client import SandboxControl
from .config import SandboxConfig
from .state import SandboxState
from .webhooks import Webhooks


@dataclass
class RunningSandbox(ServedInThread):
    base_url: str
    app: Flask
    state: SandboxState
    control: SandboxControl
    _server: BaseWSGIServer
    _thread: threading.Thread
    _webhooks: Webhooks
    _persistence: Persistence | None = None  # with ``state_file`` only

    @property
    def api_url(self) -> str:
        """What the product calls: the GraphQL endpoint (monday's ``https://api.monday.com/v2``)."""
        return f"{self.base_url}/v2"

    @property
    def board_id(self) -> int:
        return self.state.config.board_id

    @property
    def account_id(self) -> int:
        return self.state.config.account_id

    @property
    def api_token(self) -> str:
        return self.state.config.api_token

    def _stop_services(self) -> None:
        """With ``state_file``: saving a last time."""
        _stop_background(self.app)

    def save(self) -> None:
        """Write the state file now (with ``state_file`` only; otherwise a no-op)."""
        if self._persistence is not None:
            self._persistence.save()


def _bind(config: SandboxConfig, host: str, port: int, quiet: bool) -> tuple[Flask, BaseWSGIServer]:
    app = create_app(config)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler if quiet else None)
    app.extensions[WEBHOOKS_KEY].start()
    if app.extensions[PERSISTENCE_KEY] is not None:
        app.extensions[PERSISTENCE_KEY].start()
    return app, server


def _stop_background(app: Flask) -> None:
    """The webhook sender, then the state file's saver (which saves a last time)."""
    app.extensions[STATE_KEY].stop_event.set()
    app.extensions[WEBHOOKS_KEY].stop()
    if app.extensions[PERSISTENCE_KEY] is not None:
        app.extensions[PERSISTENCE_KEY].stop()


def start_sandbox(
    port: int = 0, host: str = "127.0.0.1", quiet: bool = True, **config: Any
) -> RunningSandbox:
    """Serve a new sandbox on ``host:port`` (0 = a free port) in a daemon thread; ``.stop()`` when done.

    ``config`` takes any :class:`SandboxConfig` field (``seed_items=200``, ``cursor_ttl=5``, ...).
    """
    app, server = _bind(SandboxConfig.from_kwargs(**config), host, port, quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="monday-sandbox", daemon=True)
    thread.start()
    base_url = f"http://{host}:{server.server_port}"
    return RunningSandbox(
        base_url,
        app,
        app.extensions[STATE_KEY],
        SandboxControl(base_url),
        server,
        thread,
        app.extensions[WEBHOOKS_KEY],
        app.extensions[PERSISTENCE_KEY],
    )


def serve_forever(
    config: SandboxConfig, host: str, port: int, announce: Callable[[str], None] = print
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C / SIGTERM)."""
    app, server = _bind(config, host, port, quiet=False)
    announce(f"monday sandbox listening on http://{host}:{server.server_port} (GraphQL at /v2)")
    announce(
        f"personal API token: {config.api_token}  board: {config.board_id}  account: {config.account_id}"
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
