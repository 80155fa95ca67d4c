"""The "Existing leads" job: the leads a CRM already held when it was connected, counted then routed.

One row per run (routing/existing_leads.py runs it, routing/tasks.py queues it): the counts and the
status are what the page (routing/admin/existing_leads.py) shows as progress, and what a resumed
or repeated task reads to carry on where the last one stopped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from crm_integrations.models import Organization, OrganizationIntegration


class RunStatus(models.TextChoices):
    COUNTING = "counting", "Counting the CRM's leads"
    COUNTED = "counted", "Counted, ready to route"
    ROUTING = "routing", "Routing"
    CANCELLED = "cancelled", "Stopped"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (RunStatus.COUNTING, RunStatus.ROUTING)


class ExistingLeadsRun(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveIntegerField(default=30, help_text="Leads changed in the CRM in the last N days")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.COUNTING)
    cancel_requested = models.BooleanField(default=False)
    taken_in = models.PositiveIntegerField(default=0, help_text="Records read from the CRM")
    to_route = models.PositiveIntegerField(default=0, help_text="Open, unowned leads found")
    routed = models.PositiveIntegerField(default=0, help_text="Leads given to a rep")
    not_assigned = models.PositiveIntegerField(default=0, help_text="Leads decided without a rep")
    error = models.TextField(blank=True)
    paused_reason = models.TextField(
        blank=True, help_text="Why the run waits (the CRM's API allocation), in words; empty while it goes on"
    )
    paused_until = models.DateTimeField(null=True, blank=True, help_text="When the run looks again")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "existing-leads run"

    def __str__(self) -> str:
        return f"Existing leads of {self.connection_id} ({self.get_status_display()})"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def decided(self) -> int:
        return self.routed + self.not_assigned

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.decided / self.to_route)) if self.to_route else 0
