"""Provider call history that outlives the raw ``ProviderApiCall`` rows (crm_integrations/rollups.py)."""

from django.db import models

from .connections import OrganizationIntegration


class BucketSize(models.TextChoices):
    MINUTE = "minute", "Minute"
    HOUR = "hour", "Hour"


class StatusClass(models.TextChoices):
    """What became of a call, coarse enough to chart: HTTP classes, 429 apart, and the ways of no answer."""

    SUCCESS = "2xx", "Success (2xx)"
    REDIRECT = "3xx", "Redirect (3xx)"
    CLIENT_ERROR = "4xx", "Invalid request (4xx)"
    AUTH = "auth", "Authentication refused (401/403)"
    RATE_LIMITED = "429", "Rate limited by the provider (429)"
    SERVER_ERROR = "5xx", "Server error (5xx)"
    TIMEOUT = "timeout", "Timed out"
    CONNECTION_ERROR = "connection_error", "Connection failed"
    NOT_SENT = "not_sent", "Not sent (circuit open or our rate limiter)"
    OTHER = "other", "Other failure without a response"


class ApiCallRollup(models.Model):
    """Calls of one provider account to one endpoint template with one status class in one
    minute or hour: counts and latencies, for the provider health views.

    Recomputed from the raw rows (rolling up a bucket again gives the same row), so it is only
    ever written for buckets whose raw rows are all still there (``ApiCallRollupCursor``).
    ``account`` with ``provider`` names the bucket; ``connection`` is the connection that held
    the account then (None when none did).
    """

    provider = models.SlugField(max_length=40)
    account = models.CharField(max_length=100, blank=True)
    connection = models.ForeignKey(
        OrganizationIntegration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=10)
    endpoint = models.CharField(max_length=255, help_text="The path template, as in the call records")
    status_class = models.CharField(max_length=20, choices=StatusClass.choices)
    bucket_size = models.CharField(max_length=10, choices=BucketSize.choices)
    bucket_start = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0, help_text="Attempts that ended in an error")
    retries = models.PositiveIntegerField(default=0, help_text="Attempts after the first of a call")
    latency_sum_ms = models.BigIntegerField(default=0, help_text="For means over several buckets")
    latency_p50_ms = models.PositiveIntegerField(default=0)
    latency_p95_ms = models.PositiveIntegerField(default=0)
    latency_max_ms = models.PositiveIntegerField(default=0)
    units = models.BigIntegerField(default=0, help_text="Rate-budget units taken (e.g. complexity points)")
    queued = models.PositiveIntegerField(default=0, help_text="Attempts that waited on our rate limiter")
    queued_ms_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "bucket_size",
                    "bucket_start",
                    "provider",
                    "account",
                    "method",
                    "endpoint",
                    "status_class",
                ],
                name="one_api_call_rollup_per_bucket",
            ),
        ]
        indexes = [
            models.Index(
                fields=["provider", "account", "bucket_size", "-bucket_start"], name="api_rollup_account"
            ),
            models.Index(fields=["connection", "bucket_size", "-bucket_start"], name="api_rollup_connection"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.provider}:{self.account} {self.method} {self.endpoint} {self.status_class}: {self.calls}"
        )


class ApiCallRollupCursor(models.Model):
    """One row: every whole hour of call records before ``rolled_up_until`` is rolled up (in
    minutes and in hours); pruning the call records never passes it. Minutes before
    ``minutes_rolled_up_until`` are rolled up too (the beat's recent pass, every minute)."""

    rolled_up_until = models.DateTimeField()
    minutes_rolled_up_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_up_until:%Y-%m-%d %H:%M}"


class WebhookRollup(models.Model):
    """Webhook deliveries of one connection in one minute or hour (crm_integrations/webhook_rollups.py):
    how many came, how many were refused, duplicate events, and the intake lag (the event's time
    in the CRM → taken in), recomputed from the raw rows like ``ApiCallRollup``."""

    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.CASCADE, related_name="+")
    bucket_size = models.CharField(max_length=10, choices=BucketSize.choices)
    bucket_start = models.DateTimeField()
    deliveries = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0, help_text="Deliveries rejected (signature, format)")
    events = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    lag_count = models.PositiveIntegerField(default=0, help_text="Events with a time from the CRM")
    lag_p50_ms = models.BigIntegerField(default=0)
    lag_p95_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "bucket_size", "bucket_start"], name="one_webhook_rollup_per_bucket"
            ),
        ]
        indexes = [models.Index(fields=["bucket_size", "-bucket_start"], name="webhook_rollup_recent")]

    def __str__(self) -> str:
        start = f"{self.bucket_start:%Y-%m-%d %H:%M}"
        return f"{self.connection_id} {self.bucket_size} {start}: {self.deliveries}"
