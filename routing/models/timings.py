"""Lead timings per connection and minute/hour, for the provider health page (routing/timing_rollups.py)."""

from django.db import models

from crm_integrations.models import BucketSize, OrganizationIntegration


class LeadTimingRollup(models.Model):
    """Owners written in one minute or hour of one connection: how many, how long from the lead
    stored to its owner written (p50/p95, nearest rank), and write-backs that gave up."""

    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.CASCADE, related_name="+")
    bucket_size = models.CharField(max_length=10, choices=BucketSize.choices)
    bucket_start = models.DateTimeField()
    owners_written = models.PositiveIntegerField(default=0)
    to_owner_p50_ms = models.BigIntegerField(default=0)
    to_owner_p95_ms = models.BigIntegerField(default=0)
    writes_failed = models.PositiveIntegerField(default=0, help_text="Write-backs that gave up")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "bucket_size", "bucket_start"], name="one_lead_timing_rollup_per_bucket"
            ),
        ]
        indexes = [models.Index(fields=["bucket_size", "-bucket_start"], name="lead_timing_rollup_recent")]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.bucket_size} {self.bucket_start:%Y-%m-%d %H:%M}"
