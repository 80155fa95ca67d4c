"""What a span may carry: our own attributes, and web/HTTP ones with the URL cut to its path.

Spans leave the process (an OTLP backend) or land in the database (store.py), so nothing secret
may be on them: no token, header, query string or body. Our spans set only the names below; the
Django and requests instrumentations' URL attributes are overwritten by ``sanitize_url_attributes``
(an OAuth callback's ``?code=`` or a webhook's query would otherwise be kept whole).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from opentelemetry.trace import Span

AttributeValue = str | bool | int | float | Sequence[str] | Sequence[int] | Sequence[float]

#: Our attributes (crm_integrations/core/http/client.py, the intake, routing).
PROVIDER, ACCOUNT, METHOD, ENDPOINT = "crm.provider", "crm.account", "http.request.method", "crm.endpoint"
STATUS, ATTEMPT, ERROR_KIND = "http.response.status_code", "crm.attempt", "crm.error_kind"
LEAD, CONNECTION, BATCH_SIZE, OUTCOME = "lead.id", "crm.connection", "batch.size", "routing.outcome"
#: On a routing decision made again because another batch was stored meanwhile (routing/assign.py).
DECIDED_AGAIN = "routing.decided_again"

#: What the database keeps of a span's attributes (store.py): ours, and safe ones of the
#: instrumentations (the route template, never the URL).
STORED = frozenset(
    {
        PROVIDER, ACCOUNT, METHOD, ENDPOINT, STATUS, ATTEMPT, ERROR_KIND, LEAD, CONNECTION, BATCH_SIZE,
        OUTCOME, DECIDED_AGAIN, "http.route", "http.status_code", "http.method", "celery.task_name",
        "celery.state", "celery.action",
    }
)  # fmt: skip

#: URL attributes of the Django (server) and requests (client) instrumentations, old and new names.
URL_KEYS = ("http.url", "url.full", "http.target", "url.query")


def without_query(url: str) -> str:
    """``url`` with its query, fragment and any user:password removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sanitize_url_attributes(span: Span, url: str) -> None:
    """Overwrite the URL attributes an instrumentation set with the bare path (no query)."""
    if not span.is_recording():
        return
    clean = without_query(url)
    span.set_attribute("http.url", clean)
    span.set_attribute("url.full", clean)
    span.set_attribute("http.target", urlsplit(clean).path)
    span.set_attribute("url.query", "")


def stored(attributes: Mapping[str, object] | None) -> dict[str, object]:
    """The attributes the database keeps (``STORED``), as plain JSON values."""
    if not attributes:
        return {}
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in attributes.items()
        if key in STORED
    }
