"""Spans kept in the database when no OTLP backend is configured (the embedded default).

Written in batches by crm_integrations/core/tracing/store.py and read by
crm_integrations/core/tracing/waterfall.py (the lead journey's waterfall); pruned after
``DATA_RETENTION["TRACE_DAYS"]`` (crm_integrations/retention.py). Only the safe attributes of
crm_integrations/core/tracing/attributes.py are kept.
"""

from __future__ import annotations

from django.db import models


class SpanStatus(models.TextChoices):
    UNSET = "unset", "Done"
    OK = "ok", "OK"
    ERROR = "error", "Failed"


class TraceSpan(models.Model):
    trace_id = models.CharField(max_length=32, db_index=True)
    span_id = models.CharField(max_length=16)
    parent_id = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, blank=True)
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.FloatField()
    status = models.CharField(max_length=8, choices=SpanStatus.choices, default=SpanStatus.UNSET)
    attributes = models.JSONField(default=dict, blank=True)
    #: The lead this span was for (attribute ``lead.id``), so a lead's traces are found without a scan.
    lead_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "trace span"

    def __str__(self) -> str:
        return f"{self.name} ({self.trace_id[:8]})"


class TraceSpanLink(models.Model):
    """A span's link to another trace (a batch span to each of its items' traces)."""

    span = models.ForeignKey(TraceSpan, on_delete=models.CASCADE, related_name="links")
    linked_trace_id = models.CharField(max_length=32, db_index=True)
    linked_span_id = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"link to {self.linked_trace_id[:8]}"
