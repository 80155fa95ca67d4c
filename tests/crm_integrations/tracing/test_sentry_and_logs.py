"""Tracing beside sentry-sdk (both trace a request when SENTRY_DSN is set), and the trace id on
every log line."""

import json
import logging
import subprocess
import sys
from pathlib import Path

from opentelemetry.trace import format_trace_id

from crm_integrations.core import tracing
from crm_integrations.core.tracing.logs import TraceIdLogFilter

ROOT = Path(__file__).resolve().parents[3]

# In a process of its own: sentry_sdk.init patches Django for the whole process.
WITH_SENTRY = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ["SENTRY_DSN"] = "https://public@sentry.invalid/1"
os.environ["SENTRY_TRACES_SAMPLE_RATE"] = "1.0"
import django
django.setup()
import sentry_sdk
from wsgiref.util import setup_testing_defaults
from django.core.wsgi import get_wsgi_application
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from crm_integrations.core import tracing
from crm_integrations.core.tracing.setup import setup_tracing

sent = []
sentry_sdk.get_client().options["before_send_transaction"] = lambda event, hint: sent.append(event) and None
exporter = InMemorySpanExporter()
setup_tracing("check", exporter=exporter)
environ = {"PATH_INFO": "/no-such-page/"}
setup_testing_defaults(environ)
b"".join(get_wsgi_application()(environ, lambda status, headers: None))  # a request, as gunicorn makes it
with sentry_sdk.start_transaction(name="task"), tracing.span("crm.call"):
    pass
sentry_sdk.flush()
print(json.dumps({
    "sentry": sentry_sdk.is_initialized(),
    "transactions": [event.get("transaction") for event in sent],
    "spans": [(span.name, span.kind.name) for span in exporter.get_finished_spans()],
}))
"""


def test_with_a_sentry_dsn_both_sentry_and_our_tracing_record_the_request():
    done = subprocess.run(
        [sys.executable, "-c", WITH_SENTRY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["sentry"] is True
    assert "task" in seen["transactions"] and len(seen["transactions"]) == 2  # the request's and ours
    assert ["crm.call", "INTERNAL"] in seen["spans"]
    assert any(kind == "SERVER" for _, kind in seen["spans"])


def test_every_log_line_carries_the_trace_id_of_its_span(span_exporter, caplog):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "outside", None, None)
    TraceIdLogFilter().filter(record)
    assert record.trace_id == "-"
    with tracing.span("work") as current:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "inside", None, None)
        TraceIdLogFilter().filter(record)
    assert record.trace_id == format_trace_id(current.get_span_context().trace_id)


def test_spans_go_to_the_otlp_endpoint_when_one_is_set_else_to_the_database(monkeypatch):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from crm_integrations.core.tracing.setup import _default_processor
    from crm_integrations.core.tracing.store import DatabaseSpanExporter

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger.example:4318")
    otlp = _default_processor()
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    embedded = _default_processor()
    try:
        assert isinstance(otlp._batch_processor._exporter, OTLPSpanExporter)
        assert otlp._batch_processor._exporter._endpoint == "http://jaeger.example:4318/v1/traces"
        assert isinstance(embedded._batch_processor._exporter, DatabaseSpanExporter)
    finally:
        otlp.shutdown()
        embedded.shutdown()
