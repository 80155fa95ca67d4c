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
    CLIENT_ERROR = "4xx", "Client error (4xx)"
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
    minutes and in hours); pruning the call records never passes it."""

    rolled_up_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_up_until:%Y-%m-%d %H:%M}"
