"""From an HTTP response to the provider contract's errors (``crm_integrations.core.errors``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from crm_integrations.core.errors import (
    AuthExpired,
    CrmError,
    InvalidRequest,
    NotFound,
    ProviderUnavailable,
    RateLimited,
)
from crm_integrations.core.redaction import redact_text

from .policy import HttpPolicy

MAX_MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class ErrorDetails:
    """What a provider's error body says, in the contract's terms."""

    message: str | None = None
    code: str | None = None
    correlation_id: str | None = None


#: Reads a provider's error body (never raises; None when it cannot tell).
ErrorParser = Callable[[requests.Response], ErrorDetails | None]
#: Maps any response, 2xx included, to an error the provider client wants raised (None: carry on
#: with the status mapping). E.g. monday answers GraphQL errors with HTTP 200.
ResponseHook = Callable[[requests.Response], CrmError | None]


def _first_text(body: Mapping[str, object], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def parse_error_body(response: requests.Response) -> ErrorDetails | None:
    """The default parser: HubSpot's ``{"message", "category", "correlationId"}`` and common shapes."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, Mapping):
        return None
    message = _first_text(body, "message", "error_description", "error_message", "error", "detail")
    errors = body.get("errors")
    if message is None and isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        message = _first_text(errors[0], "message", "detail")
    return ErrorDetails(
        message=message,
        code=_first_text(body, "category", "error_code", "errorCode", "code", "error"),
        correlation_id=_first_text(body, "correlationId", "correlation_id", "request_id", "requestId"),
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def wait_hint(response: requests.Response, policy: HttpPolicy) -> float | None:
    """How long the provider asks us to wait, from ``Retry-After`` or its rate-limit headers."""
    hints = [parse_retry_after(response.headers.get("Retry-After"))]
    if policy.rate_limit_remaining_header and policy.rate_limit_interval_ms_header:
        remaining = response.headers.get(policy.rate_limit_remaining_header)
        interval = response.headers.get(policy.rate_limit_interval_ms_header)
        try:
            if remaining is not None and interval is not None and float(remaining) <= 0:
                hints.append(max(0.0, float(interval) / 1000))
        except ValueError:
            pass
    known = [hint for hint in hints if hint is not None]
    return max(known) if known else None


def error_for_response(
    response: requests.Response,
    details: ErrorDetails | None,
    *,
    context: str,
    retry_after: float,
) -> CrmError:
    """The contract error for a non-2xx response (``context`` is e.g. ``"hubspot GET /x/{id}"``)."""
    status = response.status_code
    details = details or ErrorDetails()
    message = details.message or f"HTTP {status} {response.reason or ''}".strip()
    message = redact_text(f"{context}: {message}")[:MAX_MESSAGE_LENGTH]
    kwargs: dict = {
        "status": status,
        "code": details.code and redact_text(details.code)[:100],
        "correlation_id": details.correlation_id and redact_text(details.correlation_id)[:100],
    }
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ProviderUnavailable(message, retry_after=retry_after, **kwargs)
    if status == 401:
        return AuthExpired(message, **kwargs)
    if status in (404, 410):
        return NotFound(message, **kwargs)
    if 400 <= status < 500:  # 400, 403 (missing scope), 409, 422 and the rest
        return InvalidRequest(message, **kwargs)
    return CrmError(message, **kwargs)
