"""HubSpot's error bodies, read into the contract's terms.

A failed call's body (``{"status":"error","message","correlationId","category","subCategory",
"context","errors":[...]}``, the 429 variant with ``errorType``/``policyName``, and the OAuth
``{"status":"BAD_REFRESH_TOKEN",...}`` one) becomes ``ErrorDetails`` for the HTTP layer, which
raises the matching ``CrmError``. A 207 batch answer's ``errors[]`` become per-record failures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from crm_integrations.core.http import ErrorDetails
from crm_integrations.core.types import RecordFailure

#: How many ``errors[]`` messages are appended to the top-level message.
MAX_DETAILS = 3


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else None


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _detail_messages(body: Mapping[str, Any]) -> list[str]:
    details = body.get("errors")
    if not isinstance(details, list):
        return []
    messages = [_text(item.get("message")) for item in details if isinstance(item, Mapping)]
    return [message for message in messages if message][:MAX_DETAILS]


def describe(body: Mapping[str, Any]) -> str | None:
    """One line from a HubSpot error object: its message, the missing scopes or the first details."""
    message = _text(body.get("message")) or _text(body.get("error_description"))
    context = body.get("context") if isinstance(body.get("context"), Mapping) else {}
    missing = _strings(context.get("missingScopes"))
    details = [item for item in _detail_messages(body) if not message or item not in message]
    if missing:
        extra = f"missing scopes: {', '.join(missing)}"
    elif details:
        extra = "; ".join(details)
    else:
        extra = ""
    sub_category = _text(body.get("subCategory"))
    parts = [part for part in (message, extra and f"({extra})", sub_category and f"[{sub_category}]") if part]
    return " ".join(parts) or None


def error_code(body: Mapping[str, Any]) -> str | None:
    """``category`` (CRM APIs), ``errorType`` (429s), or the OAuth endpoints' ``status`` / ``error``."""
    status = _text(body.get("status"))
    return (
        _text(body.get("category"))
        or _text(body.get("errorType"))
        or (status if status and status.lower() != "error" else None)
        or _text(body.get("error"))
    )


def parse_hubspot_error(response: requests.Response) -> ErrorDetails | None:
    """The HTTP layer's ``error_parser`` for HubSpot (never raises)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, Mapping):
        return None
    return ErrorDetails(
        message=describe(body),
        code=error_code(body),
        correlation_id=_text(body.get("correlationId")) or _text(body.get("requestId")),
    )


@dataclass(frozen=True)
class BatchError:
    """One entry of a 207 answer's ``errors[]``; ``ids`` from its ``context`` (``ids``, or the
    ``objectWriteTraceId`` of a batch create) when HubSpot names them."""

    category: str
    message: str
    ids: tuple[str, ...]


def batch_errors(body: Mapping[str, Any], id_key: str = "ids") -> list[BatchError]:
    found = []
    for item in body.get("errors") or []:
        if not isinstance(item, Mapping):
            continue
        context = item.get("context") if isinstance(item.get("context"), Mapping) else {}
        found.append(
            BatchError(
                category=error_code(item) or "",
                message=describe(item) or "HubSpot reported an error for this record.",
                ids=tuple(_strings(context.get(id_key))),
            )
        )
    return found


def failures_for(ids: Sequence[str], errors: Sequence[BatchError]) -> list[RecordFailure]:
    """A failure for each of ``ids``, with the error that names it (else the first unnamed one)."""
    named = {record_id: error for error in errors for record_id in error.ids}
    fallback = next((error for error in errors if not error.ids), None) or (errors[0] if errors else None)
    failures = []
    for record_id in ids:
        error = named.get(record_id, fallback)
        message = error.message if error else "HubSpot did not return this record."
        failures.append(RecordFailure(id=record_id, message=message, code=error.category if error else ""))
    return failures
