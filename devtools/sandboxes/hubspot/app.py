"""Flask application factory: wires the endpoint blueprints, fault injection and the request log."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from ..persistence import save_after_changes
from . import associations, control, crm, files, oauth, owners, pipelines, properties, seed
from .config import SandboxConfig
from .errors import ApiError, error_body
from .faults import ERROR_TEXT
from .guard import EXTENSION_KEY, bucket_of, rate_limited, sandbox
from .http import reply
from .services import Services
from .state import SandboxState
from .timeutil import iso

logger = logging.getLogger(__name__)
UNGUARDED_PREFIXES = ("/_sandbox",)


def build_state(config: SandboxConfig) -> tuple[SandboxState, Services]:
    """The state, seeded or (with ``config.state_file``) restored from the state file, and its services."""
    state = SandboxState(config)
    services = Services.build(state)
    if services.persistence is None:
        seed.populate(state)
    else:
        services.persistence.load_or_seed()
    return state, services


def create_app(config: SandboxConfig | None = None, **options: Any) -> Flask:
    """A sandbox app with seeded (or restored) state. Background services are started by :mod:`.server`."""
    config = config or SandboxConfig.from_kwargs(**options)
    state, services = build_state(config)
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state
    app.extensions[control.SERVICES_KEY] = services
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.register_blueprint(oauth.blueprint)
    app.register_blueprint(crm.blueprint, url_prefix="/crm/v3/objects")
    app.register_blueprint(crm.blueprint, url_prefix="/crm/objects/2026-03", name="crm_objects_2026_03")
    app.register_blueprint(associations.blueprint, url_prefix="/crm/v4")
    app.register_blueprint(owners.blueprint, url_prefix="/crm/v3/owners")
    app.register_blueprint(properties.blueprint, url_prefix="/crm/v3/properties")
    app.register_blueprint(pipelines.blueprint, url_prefix="/crm/v3/pipelines")
    app.register_blueprint(files.blueprint, url_prefix="/files/v3")
    app.register_blueprint(files.signed_blueprint)
    app.register_blueprint(control.blueprint, url_prefix="/_sandbox")
    app.before_request(_inject_faults)
    app.after_request(_hold_answer)  # after requests run in reverse: logged first, then held
    app.after_request(_finish)
    if services.persistence is not None:
        save_after_changes(app, services.persistence)  # OAuth, CRM writes, the control API
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _inject_faults() -> Response | None:
    """Apply the configured fault (if this request draws one) before any real work."""
    g.started = time.perf_counter()
    if request.path.startswith(UNGUARDED_PREFIXES):
        return None
    state = sandbox()
    fault = state.faults.decide(request.path)
    if fault is None:
        return None
    g.fault = fault.kind
    if fault.kind == "rate_limit":  # the limiter's own 429 for this path's bucket, headers included
        raise rate_limited(state, bucket_of(request.path))
    if fault.kind == "error":
        category, message = ERROR_TEXT[fault.status]
        return reply(error_body(category, message), fault.status)
    if fault.after_work:
        g.hold_answer = fault.delay
        return None
    state.stop_event.wait(fault.delay)  # "timeout" holds past the client's patience, "slow" adds latency
    return None


def _hold_answer(response: Response) -> Response:
    """A "timeout" after the work: the request was carried out (and logged); its answer waits."""
    delay = getattr(g, "hold_answer", None)
    if delay:
        sandbox().stop_event.wait(delay)
    return response


def _finish(response: Response) -> Response:
    for name, value in (getattr(g, "rate_headers", None) or {}).items():
        response.headers[name] = value
    if not request.path.startswith(UNGUARDED_PREFIXES):
        started = getattr(g, "started", time.perf_counter())
        sandbox().requests.add(
            at=iso(sandbox().clock.now_ms()),
            method=request.method,
            path=request.path,
            query=request.query_string.decode(),
            status=response.status_code,
            portalId=getattr(g, "portal_id", None),
            fault=getattr(g, "fault", None),
            durationMs=round((time.perf_counter() - started) * 1000, 2),
        )
    return response


def _api_error(exc: ApiError) -> Response:
    response = reply(exc.body, exc.status)
    response.headers.update(exc.headers)
    return response


def _http_error(exc: HTTPException) -> Response:
    category = "OBJECT_NOT_FOUND" if exc.code == 404 else "VALIDATION_ERROR"
    return reply(error_body(category, f"HTTP {exc.code} {exc.name}"), exc.code or 500)


def _unexpected(exc: Exception) -> Response:
    logger.exception("sandbox error on %s %s", request.method, request.path)
    return reply(error_body("INTERNAL_ERROR", f"internal error: {type(exc).__name__}: {exc}"), 500)
