"""The spans of a CRM call (crm_integrations/core/tracing/): one per attempt, and the wait for the
rate-limit budget inside it, built from the call record's fields only (crm_integrations/core/http/
recording.py): provider, account, method, endpoint template, attempt, status and error kind;
never the URL, a query string, a header or a body."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from opentelemetry.trace import Span, Status, StatusCode

from crm_integrations.core import tracing
from crm_integrations.core.tracing import attributes as names

from .recording import CallRecord, safe_template

T = TypeVar("T")


def call_attributes(record: CallRecord) -> dict[str, str | int]:
    return {
        names.PROVIDER: record.provider,
        names.ACCOUNT: record.account,
        names.METHOD: record.method,
        names.ENDPOINT: safe_template(record.endpoint),
        names.ATTEMPT: record.attempt,
    }


def end_call_span(span: Span, record: CallRecord) -> None:
    """The attempt's outcome on its span: the status code, or the kind of error."""
    if not span.is_recording():
        return
    if record.status_code is not None:
        span.set_attribute(names.STATUS, record.status_code)
    if record.error_kind:
        span.set_attribute(names.ERROR_KIND, record.error_kind)
        span.set_status(Status(StatusCode.ERROR, record.error_kind))


def traced_wait(take_budget: Callable[..., T]) -> Callable[..., T]:
    """``ProviderHttpClient._take_budget`` in a span of its own: the time queued for the budget."""

    @functools.wraps(take_budget)
    def wrapper(client: Any, call: Any) -> T:
        with tracing.span("crm.rate_limit_wait", {names.ENDPOINT: safe_template(call.endpoint)}):
            return take_budget(client, call)

    return wrapper
