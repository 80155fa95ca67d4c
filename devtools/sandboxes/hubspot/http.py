"""Small request/response helpers shared by the endpoint modules."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from .errors import validation_error
from .guard import sandbox
from .timeutil import iso


def json_body() -> dict[str, Any]:
    """The JSON object body, or HubSpot's 400 for anything else."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: the request body must be a JSON object.")
    return body


def list_param(name: str) -> list[str] | None:
    """``?properties=a,b&properties=c`` -> ``["a", "b", "c"]``; None when absent."""
    values = request.args.getlist(name)
    if not values:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def bool_param(name: str, default: bool = False) -> bool:
    value = request.args.get(name)
    return default if value is None else value.lower() == "true"


def int_param(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.lstrip("-").isdigit() or int(raw) < 1:
        raise validation_error(f"{name} must be a positive integer.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise validation_error(f"{name} must be at most {maximum}.")
    return value


def reply(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def no_content() -> Response:
    return Response(status=204)


def batch_reply(
    results: list[Any], errors: list[dict[str, Any]], started_ms: int, ok_status: int = 200
) -> Response:
    """HubSpot's batch envelope; any errors turn it into a 207 with ``numErrors``/``errors``."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "requestedAt": iso(started_ms),
        "startedAt": iso(started_ms),
        "completedAt": iso(sandbox().clock.now_ms()),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return reply(body, 207 if errors else ok_status)


def batch_error(category: str, message: str, context: dict[str, list[str]]) -> dict[str, Any]:
    """One ``StandardError`` entry of a 207 batch answer."""
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": context,
        "errors": [],
        "links": {},
    }


def paging(next_after: str | None) -> dict[str, Any]:
    return {"paging": {"next": {"after": next_after, "link": f"?after={next_after}"}}} if next_after else {}


def check_batch_size(inputs: Any, maximum: int) -> list[Any]:
    if not isinstance(inputs, list):
        raise validation_error("inputs must be a list.")
    if len(inputs) > maximum:
        raise validation_error(
            f"Batch input limit exceeded: got {len(inputs)} inputs, the maximum is {maximum}."
        )
    return inputs
