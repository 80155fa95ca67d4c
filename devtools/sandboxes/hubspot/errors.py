"""HubSpot's error bodies, and the exception the endpoints raise to send one."""

from __future__ import annotations

import json
import uuid
from typing import Any

AUTH_NOT_FOUND_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
MISSING_SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. "
    "Read more about required scopes here: https://developers.hubspot.com/scopes."
)


def correlation_id() -> str:
    return str(uuid.uuid4())


class ApiError(Exception):
    """Raised anywhere inside a request; the app turns it into ``status`` + JSON ``body``."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def error_body(category: str, message: str, **extra: Any) -> dict[str, Any]:
    """The standard CRM error: ``{"status":"error","message","correlationId","category", ...}``."""
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": correlation_id()}
    body["category"] = category
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def api_error(status: int, category: str, message: str, **extra: Any) -> ApiError:
    return ApiError(status, error_body(category, message, **extra))


def validation_error(message: str, **extra: Any) -> ApiError:
    return api_error(400, "VALIDATION_ERROR", message, **extra)


def not_found(message: str = "resource not found") -> ApiError:
    return api_error(404, "OBJECT_NOT_FOUND", message)


def invalid_authentication() -> ApiError:
    return api_error(401, "INVALID_AUTHENTICATION", AUTH_NOT_FOUND_MESSAGE)


def expired_authentication(seconds_ago: int) -> ApiError:
    unit = "second(s)" if seconds_ago < 3600 else "hour(s)"
    amount = seconds_ago if seconds_ago < 3600 else seconds_ago // 3600
    return api_error(
        401, "EXPIRED_AUTHENTICATION", f"The OAuth token used to make this call expired {amount} {unit} ago."
    )


def missing_scopes(required_any: list[str]) -> ApiError:
    detail = {
        "message": "One or more of the following scopes are required.",
        "context": {"requiredGranularScopes": required_any},
    }
    return api_error(
        403,
        "MISSING_SCOPES",
        MISSING_SCOPES_MESSAGE,
        context={"missingScopes": required_any},
        errors=[detail],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )


def property_errors(problems: list[dict[str, Any]]) -> ApiError:
    """HubSpot packs property problems as JSON inside ``message``: "Property values were not valid: [...]"."""
    return validation_error(
        "Property values were not valid: " + json.dumps(problems, separators=(",", ":")),
        errors=[
            {"message": p["message"], "code": p["error"], "context": {"propertyName": [p["name"]]}}
            for p in problems
        ],
    )


def oauth_error(
    status_code: str, message: str, rfc_error: str | None = None, http_status: int = 400
) -> ApiError:
    """OAuth endpoint errors: ``{"status":"BAD_REFRESH_TOKEN","message":..., "correlationId":...}``.

    With ``rfc_error`` (the v3/2026-03 endpoints) the RFC 6749 ``error``/``error_description`` pair is added,
    as HubSpot did when it standardised its OAuth errors.
    """
    body: dict[str, Any] = {"status": status_code, "message": message, "correlationId": correlation_id()}
    if rfc_error:
        body = {"error": rfc_error, "error_description": message, **body}
    return ApiError(http_status, body)


# HubSpot's 429 messages per policy; the body carries two UUIDs, ``correlationId`` and ``requestId``
# (HubSpot's own answers, e.g. "You have reached your secondly limit." with a UUID ``requestId``).
RATE_LIMIT_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",  # the search endpoints' own 5/s bucket
}


def rate_limit_body(policy: str) -> dict[str, Any]:
    """HubSpot's 429 body for ``policy``: status, message, errorType, correlationId, policyName, requestId."""
    return {
        "status": "error",
        "message": RATE_LIMIT_MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "requestId": correlation_id(),
    }
