"""Serving the sandbox: in a background thread (tests, scripts) or in the foreground (CLI, manage.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from ..common import QuietHandler, ServedInThread
from .app import create_app
from .client import SandboxControl
from .config import SandboxConfig
from .control import SERVICES_KEY
from .guard import EXTENSION_KEY
from .services import Services
from .state import SandboxState
from .validation import build_validators


@dataclass
class RunningSandbox(ServedInThread):
    base_url: str
    app: Flask
    state: SandboxState
    control: SandboxControl
    _server: BaseWSGIServer
    _thread: threading.Thread
    _services: Services

    @property
    def portal_id(self) -> int:
        return self.state.default_portal_id

    def _stop_services(self) -> None:
        """With ``state_file``: saving a last time."""
        self._services.stop()

    def save(self) -> None:
        """Write the state file now (with ``state_file`` only; otherwise a no-op)."""
        if self._services.persistence is not None:
            self._services.persistence.save()


def _bind(config: SandboxConfig, host: str, port: int, quiet: bool) -> tuple[Flask, BaseWSGIServer, Services]:
    build_validators()  # before the first request, not during it
    app = create_app(config)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler if quiet else None)
    services: Services = app.extensions[SERVICES_KEY]
    services.start()
    return app, server, services


def start_sandbox(
    port: int = 0, host: str = "127.0.0.1", quiet: bool = True, **config: Any
) -> RunningSandbox:
    """Serve a new sandbox on ``host:port`` (0 = a free port) in a daemon thread; call ``.stop()`` when done.

    ``config`` takes any :class:`SandboxConfig` field (e.g. ``portal_id=24000001``, ``seed_leads=300``,
    ``access_token_ttl=5``, ``webhook_target_url=...``).
    """
    app, server, services = _bind(SandboxConfig.from_kwargs(**config), host, port, quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="hubspot-sandbox", daemon=True)
    thread.start()
    base_url = f"http://{host}:{server.server_port}"
    state = app.extensions[EXTENSION_KEY]
    return RunningSandbox(base_url, app, state, SandboxControl(base_url), server, thread, services)


def serve_forever(
    config: SandboxConfig, host: str, port: int, announce: Callable[[str], None] = print
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C / SIGTERM as KeyboardInterrupt or SystemExit)."""
    _, server, services = _bind(config, host, port, quiet=False)
    announce(f"HubSpot sandbox listening on http://{host}:{server.server_port}")
    if services.persistence is not None:
        announce(services.persistence.status)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        services.stop()
        server.server_close()
