"""Flask application factory: ``POST /v2`` (GraphQL), OAuth, the control API, faults and the request log."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, request

from ..persistence import Persistence, save_after_changes
from . import control, graphql_api, oauth
from .complexity import Charge
from .config import SandboxConfig
from .errors import HttpFailure, complexity_exhausted, legacy_complexity, minute_limit, server_error
from .http import reply
from .persistence import answered_a_query, open_state_file
from .state import SandboxState
from .webhooks import Webhooks

logger = logging.getLogger(__name__)
STATE_KEY = "monday_sandbox"
WEBHOOKS_KEY = "monday_sandbox_webhooks"
OAUTH_KEY = "monday_sandbox_oauth"
PERSISTENCE_KEY = "monday_sandbox_persistence"


def build_state(config: SandboxConfig) -> tuple[SandboxState, Webhooks, dict[str, Any], Persistence | None]:
    """The account, seeded or (with ``config.state_file``) restored from the state file, with its webhooks,
    OAuth store and the state file's saver (None without one)."""
    state = SandboxState(config)
    hooks = Webhooks(state)
    oauth_store = oauth.new_store()
    if not config.state_file:
        control.reseed(state, hooks)
        return state, hooks, oauth_store, None
    persistence = open_state_file(config.state_file, state, hooks, oauth_store)
    persistence.load_or_seed()
    return state, hooks, oauth_store, persistence


def create_app(config: SandboxConfig | None = None, **options: Any) -> Flask:
    """A sandbox app with a seeded (or restored) account. The webhook sender thread and the state file's
    saver are started by :mod:`.server`."""
    config = config or SandboxConfig.from_kwargs(**options)
    graphql_api.schema()  # parse the schema now, not on the first request
    state, hooks, oauth_store, persistence = build_state(config)
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[STATE_KEY] = state
    app.extensions[WEBHOOKS_KEY] = hooks
    app.extensions[OAUTH_KEY] = oauth_store
    app.extensions[PERSISTENCE_KEY] = persistence
    app.register_blueprint(oauth.blueprint)
    app.register_blueprint(control.blueprint, url_prefix="/_sandbox")
    app.add_url_rule("/v2", "graphql", graphql_endpoint, methods=["POST"])
    app.before_request(_start)
    app.after_request(_log)
    if persistence is not None:
        save_after_changes(app, persistence, read_only=answered_a_query)  # mutations, OAuth, control API
    app.register_error_handler(Exception, _unexpected)
    return app


def _state() -> SandboxState:
    from flask import current_app

    return current_app.extensions[STATE_KEY]


def _start() -> None:
    g.started = time.perf_counter()


def _fault_answer(state: SandboxState) -> HttpFailure | None:
    fault = state.faults.decide()
    if fault is None:
        return None
    g.fault = fault.kind
    retry_in = fault.settings.retry_in_seconds
    if fault.kind == "rate_limit":
        return minute_limit(retry_in)
    if fault.kind == "complexity":
        limit = state.config.complexity_budget
        charge = Charge(False, 100, limit // 1000, 100, retry_in, limit)
        return legacy_complexity(charge) if fault.settings.legacy_complexity else complexity_exhausted(charge)
    return server_error(fault.status)


def graphql_endpoint() -> Response:
    from flask import current_app

    state = _state()
    failure = _fault_answer(state)
    if failure is not None:
        body = {**failure.top_level, **({"errors": failure.errors} if failure.errors else {})}
        body["account_id"] = state.config.account_id
        return reply(body, failure.status, failure.headers)
    headers = {key.lower(): value for key, value in request.headers.items()}
    payload = request.get_json(silent=True)
    answer = graphql_api.handle(state, current_app.extensions[WEBHOOKS_KEY], headers, payload)
    g.summary = answer.summary
    return reply(answer.body, answer.status, answer.headers)


def _log(response: Response) -> Response:
    if request.path.startswith("/_sandbox"):
        return response
    state = _state()
    started = getattr(g, "started", time.perf_counter())
    state.requests.add(
        at=state.clock.time(),
        method=request.method,
        path=request.path,
        status=response.status_code,
        fault=getattr(g, "fault", None),
        durationMs=round((time.perf_counter() - started) * 1000, 2),
        **getattr(g, "summary", {}),
    )
    return response


def _unexpected(exc: Exception) -> Response:
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return reply({"error_message": exc.name, "status_code": exc.code}, exc.code or 500)
    logger.exception("monday sandbox error on %s %s", request.method, request.path)
    return reply({"error_message": f"Internal server error: {type(exc).__name__}", "status_code": 500}, 500)
