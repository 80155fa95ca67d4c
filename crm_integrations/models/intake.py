"""The intake's records (the pipeline is in crm_integrations/intake/): every webhook request we
receive, stored raw before anything else, the events in it, the polling cursors, and the writes
we made lately (so their webhooks are known as echoes)."""

from django.db import models
from django.utils import timezone

from .connections import OrganizationIntegration
from .organizations import Organization


class SignatureVerdict(models.TextChoices):
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid signature"
    MISSING = "missing", "No signature"
    STALE = "stale", "Timestamp too old"
    V1_REFUSED = "v1_refused", "Only a v1 signature (replayable): refused"
    NOT_CHECKED = "not_checked", "Not checked"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    REJECTED = "rejected", "Rejected"
    QUEUED = "queued", "Queued"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"
    HANDSHAKE = "handshake", "URL verification answered"


class WebhookDelivery(models.Model):
    """One HTTP request from a CRM, as received (the webhook debugger lists these)."""

    provider = models.SlugField(max_length=40)
    kind = models.SlugField(max_length=40, default="events", help_text="events, workflow, ...")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=10)
    url = models.TextField(help_text="The full URL called, as the signature covers it")
    headers = models.JSONField(default=dict, help_text="Request headers, credentials masked")
    body = models.TextField(blank=True, help_text="The raw body (cut at the size limit when oversized)")
    body_size = models.PositiveIntegerField(default=0)
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the whole body as received (hex)"
    )
    body_truncated = models.BooleanField(
        default=False,
        help_text="Only the first bytes of a refused request's body are kept",
    )
    signature = models.CharField(
        max_length=20, choices=SignatureVerdict.choices, default=SignatureVerdict.NOT_CHECKED
    )
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED)
    status_detail = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    account_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The CRM account the signature vouched for (if the body names none)",
    )
    environment = models.CharField(
        max_length=40, blank=True, help_text="The app environment whose secret verified the request"
    )
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL)
    processed_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)
    body_pruned_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When retention emptied the raw body (crm_integrations/retention.py); size and digest stay",
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["provider", "status", "-received_at"], name="webhook_delivery_recent")
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"Webhook received {self.received_at:%Y-%m-%d %H:%M:%S} ({self.get_status_display().lower()})"


class EventOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    INGESTED = "ingested", "Ingested"
    DUPLICATE = "duplicate", "Duplicate"
    IGNORED = "ignored", "Ignored"
    REJECTED = "rejected", "Rejected"
    ERROR = "error", "Error"


class WebhookEvent(models.Model):
    """One event of a delivery. The first event with a given dedupe key is the original; a
    retried or repeated one points at it through ``duplicate_of`` and creates nothing."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="events")
    connection = models.ForeignKey(OrganizationIntegration, null=True, blank=True, on_delete=models.SET_NULL)
    dedupe_key = models.CharField(max_length=64)
    # PROTECT: deleting the first sighting while later copies point at it would leave two rows
    # claiming the same dedupe key (the unique constraint refuses it); delete the copies first.
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    account_id = models.CharField(max_length=100, blank=True)
    event_id = models.CharField(max_length=100, blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    property_name = models.CharField(max_length=200, blank=True)
    property_value = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=EventOutcome.choices, default=EventOutcome.PENDING)
    outcome_detail = models.TextField(blank=True)
    result_ref = models.CharField(max_length=100, blank=True, help_text="What it became, e.g. lead:42")
    #: The W3C traceparent of the webhook's trace, so the intake batch that takes the event in links
    #: to it and the lead's routing continues it (crm_integrations/core/tracing/).
    trace_context = models.CharField(max_length=55, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    #: Set while one intake batch takes the event in (``crm_integrations.intake.batches``).
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["delivery", "pk"]
        indexes = [
            models.Index(
                fields=["connection", "created_at"],
                condition=models.Q(outcome="pending"),
                name="pending_webhook_events",
            ),
            # The few events that failed, found again when the record is taken in another way
            # (crm_integrations/intake/handover.py: ``_settle_earlier_failures``).
            models.Index(
                fields=["connection", "object_type", "object_id"],
                condition=models.Q(outcome="error"),
                name="failed_webhook_events",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(duplicate_of__isnull=True),
                name="one_original_per_webhook_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.object_type}:{self.object_id} ({self.outcome})"


class SyncCursor(models.Model):
    """Where polling of one connection's object type stands, and how often it runs."""

    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.CASCADE, related_name="cursors")
    object_type = models.CharField(max_length=40)
    cursor = models.TextField(blank=True, help_text="Opaque; stored only once the records are stored")
    poll_every_minutes = models.PositiveIntegerField(default=5, help_text="0 switches polling off")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_result = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "object_type"], name="one_cursor_per_object_type"),
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.object_type}"


class OwnWrite(models.Model):
    """One property value we wrote on one CRM record (see ``crm_integrations.intake.echoes``)."""

    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=100)
    property_name = models.CharField(max_length=200)
    value = models.TextField(blank=True)
    written_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["connection", "object_type", "object_id"], name="own_write_record")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}.{self.property_name} = {self.value}"
