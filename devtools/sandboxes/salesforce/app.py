"""Flask application factory: OAuth, the REST API, the control API, faults, limits and the request log."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..persistence import Persistence, save_after_changes
from . import control, guard, oauth, rest, rest_query
from .config import SandboxConfig
from .errors import SfError
from .outbound import Outbound
from .persistence import changed_nothing, open_state_file
from .state import SandboxState

logger = logging.getLogger(__name__)
STATE_KEY = guard.STATE_KEY
OUTBOUND_KEY = control.OUTBOUND_KEY
PERSISTENCE_KEY = "salesforce_sandbox_persistence"


def build_state(config: SandboxConfig) -> tuple[SandboxState, Outbound, Persistence | None]:
    """The org, seeded or (with ``config.state_file``) restored, its Outbound Message sender and the state
    file's saver (None without one)."""
    state = SandboxState(config)
    sender = Outbound(state)
    if not config.state_file:
        control.reseed(state, sender)
        return state, sender, None
    persistence = open_state_file(config.state_file, state, sender)
    persistence.load_or_seed()
    return state, sender, persistence


def create_app(config: SandboxConfig | None = None, **options: Any) -> Flask:
    """A sandbox app with a seeded (or restored) org. The Outbound Message sender and the state file's
    saver are started by :mod:`.server`."""
    config = config or SandboxConfig.from_kwargs(**options)
    state, sender, persistence = build_state(config)
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[STATE_KEY] = state
    app.extensions[OUTBOUND_KEY] = sender
    app.extensions[PERSISTENCE_KEY] = persistence
    app.register_blueprint(oauth.blueprint)
    app.register_blueprint(rest.blueprint)
    app.register_blueprint(rest_query.blueprint)
    app.register_blueprint(control.blueprint, url_prefix="/_sandbox")
    app.before_request(_start)
    app.before_request(guard.before)
    app.after_request(guard.after)
    app.after_request(_log)
    if persistence is not None:
        save_after_changes(app, persistence, read_only=changed_nothing)
    app.register_error_handler(SfError, lambda error: error.response())
    app.register_error_handler(Exception, _unexpected)
    return app


def _start() -> None:
    g.started = time.perf_counter()


def _log(response: Response) -> Response:
    if request.path.startswith("/_sandbox"):
        return response
    state = guard.sandbox()
    started = getattr(g, "started", time.perf_counter())
    state.requests.add(
        at=state.clock.time(),
        method=request.method,
        path=request.path,
        # SOQL and REST parameters only: an OAuth call's query may carry a token.
        query=request.query_string.decode("latin-1") if request.path.startswith(guard.DATA_PREFIX) else "",
        status=response.status_code,
        autoAssign=request.headers.get("Sforce-Auto-Assign"),
        fault=getattr(g, "fault", None),
        durationMs=round((time.perf_counter() - started) * 1000, 2),
    )
    return response


def _unexpected(exc: Exception) -> Response | tuple[Response, int]:
    if isinstance(exc, HTTPException):
        code = exc.code or 500
        if request.path.startswith("/services/data"):
            if code == 405:
                allowed = ",".join(exc.valid_methods or [])  # type: ignore[attr-defined]
                message = f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}"
                return SfError(405, "METHOD_NOT_ALLOWED", message).response()
            return SfError(code, "NOT_FOUND", "The requested resource does not exist").response()
        return jsonify({"error": exc.name}), code
    logger.exception("Salesforce sandbox error on %s %s", request.method, request.path)
    return SfError(500, "UNKNOWN_EXCEPTION", f"An unexpected error occurred: {type(exc).__name__}").response()
