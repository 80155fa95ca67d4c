"""Small response helpers shared by the endpoint modules."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def no_content() -> Response:
    return Response(status=204)
