"""Salesforce's REST error answers: a JSON array ``[{"message", "errorCode", "fields"}]`` with the status
the REST API guide gives each code; raised as :class:`SfError` and rendered by app.py."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


class SfError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.code, "fields": self.fields}]

    def save_error(self) -> dict[str, Any]:
        """The same error inside an sObject Collections SaveResult (keyed ``statusCode`` there)."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def response(self) -> Response:
        response = jsonify(self.body())
        response.status_code = self.status
        return response


def malformed_query(message: str) -> SfError:
    return SfError(400, "MALFORMED_QUERY", message)


def invalid_field(message: str) -> SfError:
    return SfError(400, "INVALID_FIELD", message)


def not_found(message: str = "The requested resource does not exist") -> SfError:
    return SfError(404, "NOT_FOUND", message)


def invalid_session() -> SfError:
    return SfError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def limit_exceeded(limit: int) -> SfError:
    return SfError(403, "REQUEST_LIMIT_EXCEEDED", f"TotalRequests Limit exceeded. (Limit: {limit})")


def json_error(message: str) -> SfError:
    return SfError(400, "JSON_PARSER_ERROR", message)
