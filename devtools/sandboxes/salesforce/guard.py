"""What every REST call goes through before and after its endpoint: injected faults, the bearer token
(``401 INVALID_SESSION_ID``), the org's rolling daily allocation (``403 REQUEST_LIMIT_EXCEEDED``, never
429) and the ``Sforce-Limit-Info: api-usage=n/max`` header on every answer, errors included."""

from __future__ import annotations

import time

from flask import Response, current_app, g, request

from .config import API_VERSIONS
from .errors import SfError, invalid_session, limit_exceeded, not_found
from .faults import ERROR_TEXT
from .state import AccessToken, SandboxState

STATE_KEY = "salesforce_sandbox"
DATA_PREFIX = "/services/data/"


def sandbox() -> SandboxState:
    return current_app.extensions[STATE_KEY]


def api_version() -> str:
    """The ``NN.N`` of this request's ``/services/data/vNN.N/`` path (checked by :func:`before`)."""
    return g.version


def _counted(path: str) -> bool:
    """Calls that use the allocation: the versioned REST API (not ``GET /services/data/``) and identity."""
    return (path.startswith(DATA_PREFIX) and len(path) > len(DATA_PREFIX)) or path.startswith("/id/")


def before() -> Response | None:
    path = request.path
    if path.startswith("/_sandbox"):
        return None
    state = sandbox()
    fault = state.faults.decide(path)
    if fault is not None:
        g.fault = fault.kind
        if fault.kind == "error":
            code, message = ERROR_TEXT[fault.status or 500]
            return SfError(fault.status or 500, code, message).response()
        if fault.kind == "slow" or not fault.after_work:
            time.sleep(fault.delay)
        else:
            g.hold_after = fault.delay
    if not _counted(path):
        return None
    try:
        g.token = authenticate(state)
        if path.startswith(DATA_PREFIX):
            _check_version(path)
        _charge(state)
    except SfError as error:
        return error.response()
    return None


def authenticate(state: SandboxState) -> AccessToken:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() not in ("bearer", "oauth"):
        raise invalid_session()
    with state.lock:
        token = state.access_tokens.get(value.strip())
        if token is None or not token.valid(state.clock.time()):
            raise invalid_session()
        return token


def _check_version(path: str) -> None:
    version = path[len(DATA_PREFIX) :].split("/", 1)[0]
    if not version.startswith("v") or version[1:] not in API_VERSIONS:
        raise not_found()
    g.version = version[1:]


def _charge(state: SandboxState) -> None:
    limit = state.config.daily_api_limit
    with state.lock:
        if state.usage.used() >= limit:
            raise limit_exceeded(limit)
        state.usage.record()


def after(response: Response) -> Response:
    path = request.path
    if path.startswith(DATA_PREFIX):
        state = sandbox()
        response.headers["Sforce-Limit-Info"] = (
            f"api-usage={state.usage.used()}/{state.config.daily_api_limit}"
        )
    hold = getattr(g, "hold_after", 0.0)
    if hold:
        time.sleep(hold)
    return response
