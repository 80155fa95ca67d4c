"""Routing decisions (one current per lead, older ones kept) and the owner write-back outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from crm_integrations.models import Organization, OrganizationIntegration
from field_mapping.models import Lead

from ..engine.types import Outcome
from .reps import Rep
from .rules import RuleSetVersion


class DecisionOutcome(models.TextChoices):
    ASSIGNED = Outcome.ASSIGNED.value, "Assigned"
    HELD = Outcome.HELD.value, "Held by a filter"
    NO_RULE = Outcome.NO_RULE.value, "No rule matched"
    NO_ELIGIBLE_REP = Outcome.NO_ELIGIBLE_REP.value, "Nobody eligible"


class DecisionTrigger(models.TextChoices):
    INTAKE = "intake", "Taken in"
    REPROCESS = "reprocess", "Reprocessed by staff"
    SLA = "sla", "SLA re-route"
    RETRY = "retry", "Retried (nobody was eligible)"


class Decision(models.Model):
    """What the engine decided for a lead, with the whole trace (filters, rules, candidates, account)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="routing_decisions")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        RuleSetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(max_length=20, choices=DecisionTrigger.choices, default=DecisionTrigger.INTAKE)
    outcome = models.CharField(max_length=20, choices=DecisionOutcome.choices)
    # RESTRICT: a rep with decisions is deactivated, never deleted; an organization still deletes whole.
    rep = models.ForeignKey(Rep, null=True, blank=True, on_delete=models.RESTRICT, related_name="decisions")
    rule_key = models.CharField(max_length=36, blank=True)
    rule_name = models.CharField(max_length=120, blank=True)
    via = models.CharField(max_length=30, blank=True)
    strategy = models.CharField(max_length=30, blank=True)
    held_by = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=255, blank=True, help_text="Why it was made (re-route, reprocess)")
    trace = models.JSONField(default=dict)
    is_current = models.BooleanField(default=True)
    decided_at = models.DateTimeField(default=timezone.now)
    #: When a re-route (an SLA breach, a retry) last found nobody better and left this decision
    #: current: the sweeps in routing/sweeps.py wait from then, not from ``decided_at``, before trying again.
    retried_at = models.DateTimeField("last re-route attempt", null=True, blank=True)
    decide_ms = models.FloatField(default=0)
    first_status_change_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=models.Q(is_current=True), name="one_current_decision_per_lead"
            )
        ]
        indexes = [
            models.Index(fields=["rep", "is_current", "outcome"], name="decision_rep_load"),
            models.Index(fields=["organization", "decided_at"], name="decision_org_time"),
        ]

    def __str__(self) -> str:
        who = f" → {self.rep}" if self.rep_id else ""
        return f"{self.get_outcome_display()}{who} ({self.decided_at:%Y-%m-%d %H:%M:%S})"


class WriteStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    WRITTEN = "written", "Written"
    RETRYING = "retrying", "Failed, will retry"
    FAILED = "failed", "Failed (gave up)"


class OwnerWrite(models.Model):
    """The owner to write on the CRM record for one assignment (and its follow-up task).

    Rows are claimed in batches and sent with the provider's batch update; a failure is retried
    with backoff and stays visible here and in the lead's journey.
    """

    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="owner_write")
    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=60)
    record_id = models.CharField(max_length=100)
    owner_property = models.CharField(max_length=255)
    owner_external_id = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=WriteStatus.choices, default=WriteStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.CharField(max_length=36, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    outcome_unknown = models.BooleanField(
        default=False,
        help_text="The last send got no answer (timeout): the record is read back before any new send",
    )
    created_at = models.DateTimeField(default=timezone.now)
    written_at = models.DateTimeField(null=True, blank=True)
    batch_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Records in the call that wrote it"
    )
    task_status = models.CharField(
        max_length=20, blank=True, help_text="'' (none asked), created, failed, unsupported"
    )
    task_id = models.CharField(max_length=100, blank=True)
    task_error = models.TextField(blank=True)
    #: The W3C traceparent of the lead's trace, so the write-back batch links to it and marks the
    #: owner written there (crm_integrations/core/tracing/).
    trace_context = models.CharField(max_length=55, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "owner write-back"
        indexes = [models.Index(fields=["connection", "status", "next_attempt_at"], name="owner_write_due")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.record_id} ← owner {self.owner_external_id} ({self.status})"

    @property
    def latency_ms(self) -> float | None:
        if self.written_at is None:
            return None
        return (self.written_at - self.created_at).total_seconds() * 1000
