"""Tracing set up once per process: the provider, where spans go, and the instrumentations.

Called where each process starts its own work, never before a fork (the OTLP exporter's batch
thread and connections are per process): the web worker in config/wsgi.py (gunicorn imports it in
each worker; the app is not preloaded), a Celery worker process in config/celery.py
(``worker_process_init``, or ``worker_init`` for the solo and thread pools), and explicitly in
management commands and tests that want spans.

Where spans go: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) set, to that OTLP
backend over HTTP through a ``BatchSpanProcessor`` (Jaeger, Tempo, Honeycomb, Sentry's OTLP
endpoint); otherwise to the database (store.py: batches written by the processor's background thread), for the
lead journey's waterfall. Tests pass an
exporter of their own (the in-memory one). ``OTEL_SDK_DISABLED=true`` turns tracing off.

Instrumented: Django (the webhook request; URL attributes cut to the path), Celery (a span per
publish and per run, the context carried in the message headers) and requests (outgoing calls
other than the CRM's: ``ProviderHttpClient`` suppresses it and makes its own span per attempt,
crm_integrations/core/http/client.py). Log lines carry the trace id through
``TraceIdLogFilter`` (logs.py) in config/settings' LOGGING.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from . import MAX_LINKS
from .attributes import sanitize_url_attributes
from .store import DatabaseSpanExporter

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_provider: TracerProvider | None = None
_instrumented = False


def otlp_configured() -> bool:
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def setup_tracing(
    service: str, *, exporter: SpanExporter | None = None, instrument: bool = True
) -> TracerProvider | None:
    """Set tracing up for this process (once; a later call only adds ``exporter``). ``service``
    names the process (web, worker, ...) unless ``OTEL_SERVICE_NAME`` does."""
    global _provider
    if disabled():
        return None
    with _lock:
        if _provider is None:
            name = os.environ.get("OTEL_SERVICE_NAME") or f"lead-routing-{service}"
            provider = TracerProvider(
                resource=Resource.create({"service.name": name}),
                span_limits=SpanLimits(max_links=MAX_LINKS),
            )
            if exporter is None:
                provider.add_span_processor(_default_processor())
            trace.set_tracer_provider(provider)
            _provider = provider
        if exporter is not None:
            _provider.add_span_processor(SimpleSpanProcessor(exporter))
    if instrument:
        instrument_libraries()
    return _provider


def _default_processor() -> SpanProcessor:
    if otlp_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return BatchSpanProcessor(OTLPSpanExporter())
    return BatchSpanProcessor(DatabaseSpanExporter())


def shutdown_tracing() -> None:
    """Flush what is queued (a Celery child about to exit would lose it otherwise)."""
    if _provider is not None:
        _provider.shutdown()


def instrument_libraries() -> None:
    """Django, Celery and requests instrumented (once)."""
    global _instrumented
    with _lock:
        if _instrumented:
            return
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.requests import RequestsInstrumentor

        DjangoInstrumentor().instrument(request_hook=_django_request)
        CeleryInstrumentor().instrument()
        RequestsInstrumentor().instrument(request_hook=_outgoing_request)
        _instrumented = True


def uninstrument_libraries() -> None:
    """Undo ``instrument_libraries`` (tests that instrumented for a while)."""
    global _instrumented
    with _lock:
        if not _instrumented:
            return
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.requests import RequestsInstrumentor

        DjangoInstrumentor().uninstrument()
        CeleryInstrumentor().uninstrument()
        RequestsInstrumentor().uninstrument()
        _instrumented = False


def _django_request(span: Any, request: Any) -> None:
    sanitize_url_attributes(span, request.path)  # no host or query: nothing a client sent in them


def _outgoing_request(span: Any, request: Any) -> None:
    sanitize_url_attributes(span, request.url or "")
