"""Each lead's journey: a timeline of what happened to it, from receipt to outcome."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from field_mapping.models import Lead


class JourneyKind(models.TextChoices):
    RECEIVED = "received", "Received"
    MAPPED = "mapped", "Mapped"
    MAPPING_ERROR = "mapping_error", "Mapping error"
    HELD = "held", "Held by a filter"
    ROUTED = "routed", "Routed"
    NOT_ROUTED = "not_routed", "Not routed"
    WRITTEN = "written", "Owner written to the CRM"
    WRITE_FAILED = "write_failed", "Owner write failed"
    TASK = "task", "Follow-up task"
    STATUS = "status", "Status changed"
    OWNER = "owner", "Owner changed in the CRM"


class JourneyEvent(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="journey")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=JourneyKind.choices)
    summary = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    decision = models.ForeignKey(
        "routing.Decision", null=True, blank=True, on_delete=models.CASCADE, related_name="journey_events"
    )

    class Meta:
        ordering = ["lead", "at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="journey_lead_time")]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.get_kind_display()}: {self.summary}"
