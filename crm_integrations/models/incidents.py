"""Incidents: a connection that needs a person, opened and resolved by crm_integrations/alerts/.

One open incident per (connection, kind), enforced by the database; each notice (email, Slack) of
its opening and of its resolution is a row of its own, written in the transaction that opens or
resolves the incident and sent once that transaction has committed
(crm_integrations/alerts/notices.py).
"""

import uuid

from django.db import models
from django.utils import timezone

from crm_integrations.core.crypto.fields import EncryptedTextField

from .connections import OrganizationIntegration
from .organizations import Organization


class IncidentKind(models.TextChoices):
    NEEDS_RECONNECTION = "needs_reconnection", "Connection needs reconnecting"
    BREAKER_OPEN = "breaker_open", "CRM unreachable (circuit breaker open)"
    WRITEBACKS_FAILING = "writebacks_failing", "Owner write-backs failing"
    INTAKE_STALLED = "intake_stalled", "No lead taken in while the CRM sends new ones"


class Incident(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="incidents")
    connection = models.ForeignKey(
        OrganizationIntegration, on_delete=models.CASCADE, related_name="incidents"
    )
    kind = models.CharField("problem", max_length=40, choices=IncidentKind.choices)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    details = models.TextField(blank=True, help_text="What was found, in words (updated while open)")
    resolution = models.TextField(blank=True, help_text="Why it was resolved, in words")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_incident_per_connection_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({'open' if self.is_open else 'resolved'})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class NoticeEvent(models.TextChoices):
    OPENED = "opened", "Opened"
    RESOLVED = "resolved", "Resolved"


class NoticeChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "To send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Nobody to send to"


class IncidentNotice(models.Model):
    """One message about one incident on one channel: sent once (claimed by a conditional UPDATE)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notices")
    event = models.CharField(max_length=10, choices=NoticeEvent.choices)
    channel = models.CharField(max_length=10, choices=NoticeChannel.choices)
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "event", "channel"], name="one_notice_per_event_channel"
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="incident_notice_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_event_display().lower()}: {self.get_status_display()}"


class AlertSettings(models.Model):
    """An organization's alert channels besides its administrators' email: a Slack incoming
    webhook, encrypted (the URL is the credential). UUID key: the envelope is bound to the row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="alert_settings")
    slack_webhook_url = EncryptedTextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "alert settings"
        verbose_name_plural = "alert settings"

    def __str__(self) -> str:
        return f"Alerts of {self.organization}"
