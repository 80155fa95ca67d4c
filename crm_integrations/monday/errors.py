"""monday's error bodies, read into the contract's errors (monday's "Error handling" and "Rate limits" docs).

monday answers application errors with HTTP 200 and an ``errors`` array, possibly beside partial
``data``; transport problems use 401/429/5xx. Versions before 2025-01 used a top-level
``error_code``/``error_message`` (monday's own SDK still checks ``ComplexityException``), so both shapes
are read. Errors that concern the whole call (rate limits, authentication, an expired cursor, a query
monday could not run) are raised by the HTTP layer's ``response_hook``; errors of one field (one aliased
mutation of a batch) are left in the result for the caller to attribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from crm_integrations.core.errors import (
    AuthExpired,
    AuthRevoked,
    CrmError,
    InvalidRequest,
    NotFound,
    ProviderUnavailable,
    RateLimited,
)
from crm_integrations.core.http import ErrorDetails, parse_retry_after
from crm_integrations.core.redaction import redact_text

MAX_MESSAGE_LENGTH = 500
#: Codes that mean "not now" (monday's "Rate limits" and "Error handling" docs): the call is retried
#: later, not failed; 423 "Resource is currently locked" joins them.
RATE_LIMIT_CODES = frozenset(
    {
        "COMPLEXITY_BUDGET_EXHAUSTED",
        "ComplexityException",
        "DAILY_LIMIT_EXCEEDED",
        "maxConcurrencyExceeded",
        "IP_RATE_LIMIT_EXCEEDED",
        "FIELD_LIMIT_EXCEEDED",
        "RATE_LIMIT_EXCEEDED",
        "RateLimitExceeded",
    }
)
#: Default waits (seconds) when monday gives no hint: the complexity window is a minute; the official
#: SDK sleeps 30 s on a legacy ComplexityException; a locked board frees up within seconds.
DEFAULT_WAITS = {"ComplexityException": 30.0, "RESOURCE_LOCKED": 5.0}
DEFAULT_WAIT = 60.0
AUTH_CODES = frozenset({"UNAUTHENTICATED", "Unauthenticated", "NotAuthenticated", "InvalidTokenException"})
NOT_FOUND_CODES = frozenset(
    {"ResourceNotFoundException", "InvalidBoardIdException", "InvalidItemIdException", "NOT_FOUND"}
)
_RESET_IN = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)
_CURSOR_MESSAGE = re.compile(r"CursorExpired|cursor (?:has )?expired|expired cursor", re.IGNORECASE)


class CursorExpired(InvalidRequest):
    """An ``items_page`` cursor is past its 60 minutes (or unknown): start a fresh query."""


@dataclass(frozen=True)
class MondayError:
    """One entry of ``errors`` (or the legacy top-level error), in plain terms."""

    message: str
    code: str = ""
    status_code: int | None = None
    path: tuple[str | int, ...] = ()
    retry_in: float | None = None
    error_data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_rate_limit(self) -> bool:
        return self.code in RATE_LIMIT_CODES or self.status_code in (429, 423)

    @property
    def is_auth(self) -> bool:
        return self.code in AUTH_CODES or self.status_code == 401

    @property
    def is_cursor_expired(self) -> bool:
        # monday documents no code for an expired cursor; public consumers match
        # "CursorExpiredError|cursor has expired", so the code or the message decides.
        if self.code:
            return "cursor" in self.code.lower()
        return bool(_CURSOR_MESSAGE.search(self.message))


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def errors_of(body: Any) -> list[MondayError]:
    """Every error a body reports: the ``errors`` array and the legacy top-level fields."""
    if not isinstance(body, Mapping):
        return []
    found = []
    for entry in body.get("errors") or []:
        if not isinstance(entry, Mapping):
            continue
        ext = entry.get("extensions") if isinstance(entry.get("extensions"), Mapping) else {}
        data = ext.get("error_data") if isinstance(ext.get("error_data"), Mapping) else {}
        found.append(
            MondayError(
                message=str(entry.get("message") or ext.get("code") or "monday reported an error"),
                code=str(ext.get("code") or ""),
                status_code=_int(ext.get("status_code")),
                path=tuple(entry.get("path") or ()),
                retry_in=_number(ext.get("retry_in_seconds")),
                error_data=data,
            )
        )
    legacy_code, legacy_message = body.get("error_code"), body.get("error_message")
    if legacy_code or (legacy_message and not found):
        message = str(legacy_message or legacy_code)
        reset = _RESET_IN.search(message)
        found.append(
            MondayError(
                message=message,
                code=str(legacy_code or ""),
                status_code=_int(body.get("status_code")),
                retry_in=float(reset.group(1)) if reset else None,
                error_data=body.get("error_data") if isinstance(body.get("error_data"), Mapping) else {},
            )
        )
    return found


def request_id(body: Any) -> str | None:
    if isinstance(body, Mapping) and isinstance(body.get("extensions"), Mapping):
        value = body["extensions"].get("request_id")
        return str(value) if value else None
    return None


def _seconds_to_midnight_utc(now: datetime | None = None) -> float:
    moment = now or datetime.now(UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - moment).total_seconds()


def retry_after(error: MondayError, response: requests.Response | None = None, body: Any = None) -> float:
    """How long to wait: ``retry_in_seconds``, ``Retry-After``, the legacy "reset in N seconds", the
    ``complexity.reset_in_x_seconds`` of the same answer, then a default for the code."""
    if error.retry_in is not None:
        return error.retry_in
    if response is not None:
        header = parse_retry_after(response.headers.get("Retry-After"))
        if header is not None:
            return header
    if error.code == "DAILY_LIMIT_EXCEEDED":
        return _seconds_to_midnight_utc()  # the daily call budget resets at 00:00 UTC
    complexity = ((body or {}).get("data") or {}).get("complexity") if isinstance(body, Mapping) else None
    if isinstance(complexity, Mapping) and _number(complexity.get("reset_in_x_seconds")) is not None:
        return float(complexity["reset_in_x_seconds"])
    code = "RESOURCE_LOCKED" if error.status_code == 423 else error.code
    return DEFAULT_WAITS.get(code, DEFAULT_WAIT)


def crm_error(
    error: MondayError,
    *,
    http_status: int | None = None,
    refreshable: bool = False,
    correlation_id: str | None = None,
    response: requests.Response | None = None,
    body: Any = None,
) -> CrmError:
    """The contract error for one monday error (``refreshable``: the connection has a refresh token)."""
    message = redact_text(f"monday: {error.message}")[:MAX_MESSAGE_LENGTH]
    status = error.status_code or http_status
    kwargs: dict[str, Any] = {
        "status": status,
        "code": error.code or None,
        "correlation_id": correlation_id,
        "details": dict(error.error_data) or None,
    }
    if error.is_rate_limit or http_status == 429:
        return RateLimited(message, retry_after=retry_after(error, response, body), **kwargs)
    if error.is_auth or http_status == 401:
        # A token that cannot be refreshed (personal API token, legacy OAuth token) is simply gone.
        return AuthExpired(message, **kwargs) if refreshable else AuthRevoked(message, **kwargs)
    if error.is_cursor_expired:
        return CursorExpired(message, **kwargs)
    if error.code in NOT_FOUND_CODES or status in (404, 410):
        return NotFound(message, **kwargs)
    if status is not None and status >= 500:
        return ProviderUnavailable(message, retry_after=retry_after(error, response, body), **kwargs)
    return InvalidRequest(message, **kwargs)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def response_hook(refreshable: Callable[[], bool]) -> Callable[[requests.Response], CrmError | None]:
    """The HTTP layer's ``response_hook``: raise what concerns the whole call, 2xx included."""

    def hook(response: requests.Response) -> CrmError | None:
        body = _json(response)
        errors = errors_of(body)
        status = response.status_code
        if not errors:
            if status == 401:
                return crm_error(MondayError("Not Authenticated", status_code=401), refreshable=refreshable())
            if status >= 400:  # no monday body: let the HTTP layer map the status
                return None
            if not isinstance(body, Mapping) or "data" not in body:
                return InvalidRequest("monday answered without data or errors", status=status)
            return None
        context = {
            "http_status": status,
            "refreshable": refreshable(),
            "correlation_id": request_id(body),
            "response": response,
            "body": body,
        }
        for check in ("is_rate_limit", "is_auth", "is_cursor_expired"):
            chosen = next((error for error in errors if getattr(error, check)), None)
            if chosen is not None:
                return crm_error(chosen, **context)
        data = body.get("data") if isinstance(body, Mapping) else None
        query_level = [error for error in errors if not error.path]
        if status >= 400 or (query_level and not data):
            return crm_error((query_level or errors)[0], **context)
        return None  # field errors beside data: the caller attributes them

    return hook


def parse_monday_error(response: requests.Response) -> ErrorDetails | None:
    """The HTTP layer's ``error_parser`` (5xx bodies such as ``{"error_message", "status_code"}``)."""
    body = _json(response)
    errors = errors_of(body)
    if not errors:
        return None
    return ErrorDetails(
        message=errors[0].message, code=errors[0].code or None, correlation_id=request_id(body)
    )


def field_errors(errors: Sequence[MondayError]) -> dict[str, MondayError]:
    """The first error of each aliased root field (``{"u3": error}``) of a partial answer."""
    found: dict[str, MondayError] = {}
    for error in errors:
        if error.path and isinstance(error.path[0], str):
            found.setdefault(error.path[0], error)
    return found
