"""Salesforce's error bodies, read into the contract's terms.

A failed REST call answers a JSON array, ``[{"message": ..., "errorCode": "INVALID_SESSION_ID",
"fields": []}]``; the HTTP layer turns its status into the contract's error (401 ``AuthExpired``: one
refresh and one more try, crm_integrations/core/tokens.py; 404 ``NotFound``; other 4xx
``InvalidRequest``). Salesforce never sends 429: an exhausted daily allocation is ``403
REQUEST_LIMIT_EXCEEDED``, turned into ``RateLimited`` by ``limits.response_hook``. Inside sObject
Collections answers the key is ``statusCode`` (``save_failure``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from crm_integrations.core.http import ErrorDetails

#: Error codes that mean "retry later", never "your token is bad".
RATE_LIMIT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED"})
MAX_DETAILS = 3


def error_items(body: Any) -> list[Mapping[str, Any]]:
    """The error objects of an answer: the REST array, or one object (OAuth endpoints)."""
    if isinstance(body, Mapping):
        return [body]
    if isinstance(body, list):
        return [item for item in body if isinstance(item, Mapping)]
    return []


def _code(item: Mapping[str, Any]) -> str:
    return str(item.get("errorCode") or item.get("statusCode") or item.get("error") or "")


def _message(item: Mapping[str, Any]) -> str:
    text = str(item.get("message") or item.get("error_description") or "")
    fields = item.get("fields")
    if isinstance(fields, list) and fields:
        text = f"{text} (fields: {', '.join(str(name) for name in fields[:MAX_DETAILS])})"
    return text


def parse_salesforce_error(response: requests.Response) -> ErrorDetails | None:
    """The HTTP layer's ``error_parser`` for Salesforce (never raises)."""
    try:
        items = error_items(response.json())
    except ValueError:
        return None
    if not items:
        return None
    messages = [message for item in items[:MAX_DETAILS] if (message := _message(item))]
    return ErrorDetails(message="; ".join(messages) or None, code=_code(items[0]) or None)


def error_code(response: requests.Response) -> str:
    """The first ``errorCode`` of a failed answer ("" when it has none)."""
    details = parse_salesforce_error(response)
    return (details.code or "") if details else ""


def save_failure(result: Mapping[str, Any]) -> tuple[str, str]:
    """``(statusCode, message)`` of one failed SaveResult of an sObject Collections answer."""
    errors = error_items(result.get("errors"))
    if not errors:
        return "", "Salesforce did not save this record and gave no reason."
    return _code(errors[0]), "; ".join(_message(item) for item in errors[:MAX_DETAILS])
