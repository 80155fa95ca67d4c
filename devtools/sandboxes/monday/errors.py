"""monday's error shapes (its rate-limit and error-handling docs, API 2025-01 and later), which
crm_integrations/monday/ reads.

Application errors come with HTTP 200 and an ``errors`` array (possibly beside partial ``data``), each
``{"message", "locations", "path", "extensions": {"code", "status_code", "error_data"}}``; transport
problems (401, 429, 5xx) use real status codes. Every body carries ``account_id`` (when known) and
``extensions.request_id``.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from .complexity import Charge


class HttpFailure(Exception):
    """A request answered before (or instead of) GraphQL execution, with its own status and body."""

    def __init__(
        self,
        status: int,
        errors: list[dict[str, Any]],
        headers: dict[str, str] | None = None,
        **top_level: Any,
    ) -> None:
        super().__init__(errors[0]["message"] if errors else f"HTTP {status}")
        self.status = status
        self.errors = errors
        self.headers = headers or {}
        self.top_level = top_level


def error_entry(
    message: str,
    code: str | None = None,
    status_code: int | None = None,
    error_data: dict[str, Any] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    ext: dict[str, Any] = dict(extensions)
    if code is not None:
        ext["code"] = code
    if status_code is not None:
        ext["status_code"] = status_code
    if error_data is not None or code is not None:
        ext["error_data"] = error_data or {}
    entry: dict[str, Any] = {"message": message}
    if ext:
        entry["extensions"] = ext
    return entry


def field_error(message: str, code: str, status_code: int = 200, **error_data: Any) -> GraphQLError:
    """Raised by a resolver: graphql-core adds ``locations`` and ``path``, we add monday's extensions."""
    return GraphQLError(
        message, extensions={"code": code, "status_code": status_code, "error_data": error_data}
    )


def not_authenticated() -> HttpFailure:
    # monday: "401 for bad or missing tokens"; the body wording is the sandbox's choice.
    return HttpFailure(401, [error_entry("Not Authenticated", "UNAUTHENTICATED", 401)])


def complexity_exhausted(charge: Charge) -> HttpFailure:
    """The 2025-04+ body (monday's rate-limit docs), HTTP 429 with ``Retry-After``."""
    entry = error_entry(
        "Complexity budget exhausted",
        "COMPLEXITY_BUDGET_EXHAUSTED",
        429,
        complexity=charge.cost,
        complexity_budget_left=max(0, charge.before),
        complexity_budget_limit=charge.limit,
        retry_in_seconds=charge.reset_in,
    )
    entry["extensions"].pop("error_data", None)
    return HttpFailure(429, [entry], {"Retry-After": str(charge.reset_in)})


def legacy_complexity(charge: Charge) -> HttpFailure:
    """The pre-2025 shape monday's Python SDK still checks (top-level ``error_code``), HTTP 429."""
    message = (
        f"Complexity budget exhausted, query cost {charge.cost} budget remaining {max(0, charge.before)} "
        f"out of {charge.limit} reset in {charge.reset_in} seconds"
    )
    return HttpFailure(
        429,
        [],
        {"Retry-After": str(charge.reset_in)},
        error_code="ComplexityException",
        error_message=message,
        status_code=429,
    )


def minute_limit(retry_in: int) -> HttpFailure:
    """Calls per minute (monday's rate-limit docs: 429 "Minute limit rate exceeded" + ``Retry-After``);
    the code is ours."""
    entry = error_entry("Minute limit rate exceeded", "RATE_LIMIT_EXCEEDED", 429, retry_in_seconds=retry_in)
    entry["extensions"].pop("error_data", None)
    return HttpFailure(429, [entry], {"Retry-After": str(retry_in)})


def server_error(status: int) -> HttpFailure:
    """5xx: the body of monday's docs (``{"error_message": "Internal server error", "status_code": 500}``)."""
    messages = {
        500: "Internal server error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return HttpFailure(
        status, [], error_message=messages.get(status, "Internal server error"), status_code=status
    )


def bad_request(message: str) -> HttpFailure:
    """400: no query string, a body that is not JSON, ``variables`` not an object (since 2025-04)."""
    return HttpFailure(400, [error_entry(message, "BAD_REQUEST", 400)])


def too_complex(cost: int, maximum: int) -> dict[str, Any]:
    # monday does not document the code for a query above the single-query maximum; this one is ours.
    return error_entry(
        f"Query has complexity of {cost}, which exceeds max complexity of {maximum}",
        "maxComplexityExceeded",
        400,
        complexity=cost,
        max_complexity=maximum,
    )


def validation_code(message: str) -> str:
    """A graphql-ruby style code for a graphql-core validation message (monday runs graphql-ruby)."""
    rules = (
        ("Cannot query field", "undefinedField"),
        ("Unknown argument", "argumentNotAccepted"),
        ("is required, but it was not provided", "missingRequiredArguments"),
        ("Unknown type", "undefinedType"),
        ("Variable", "variableMismatch"),
        ("must have a selection of subfields", "selectionMismatch"),
        ("must not have a selection", "selectionMismatch"),
        ("Expected value of type", "argumentLiteralsIncompatible"),
        ("cannot represent", "argumentLiteralsIncompatible"),
        ("Fragment", "fragmentMismatch"),
    )
    for needle, code in rules:
        if needle in message:
            return code
    return "validationError"
