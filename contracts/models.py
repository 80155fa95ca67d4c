"""Contracts made from CRM deals, and the files attached to them.

A contract is one CRM deal (``external_id``) of one organization and provider. The sync fields
(``sync_state``, ``sync_detail``, ``last_synced_at``) say how the contract stands with its deal;
for now only reads from the CRM set them (the status sync both ways comes later).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename

from crm_integrations.models import Organization, OrganizationIntegration, WebhookDelivery


class NegotiationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    NEGOTIATING = "negotiating", "Negotiating"
    APPROVED = "approved", "Approved"
    SIGNED = "signed", "Signed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class SyncState(models.TextChoices):
    IN_SYNC = "in_sync", "In sync"
    PENDING = "pending", "Changes to send"
    FAILED = "failed", "Sync failed"


class Contract(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contracts")
    connection = models.ForeignKey(
        OrganizationIntegration,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
        help_text="The CRM connection the deal is read from (and its status written to).",
    )
    provider = models.SlugField(max_length=40)
    external_id = models.CharField(max_length=100, help_text="The CRM's deal id")
    title = models.CharField(max_length=255)
    counterparty = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    negotiation_status = models.CharField(
        max_length=20, choices=NegotiationStatus.choices, default=NegotiationStatus.DRAFT
    )
    deal_snapshot = models.JSONField(
        default=dict, blank=True, help_text="The deal with its companies and contacts, as last read"
    )
    deal_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="The deal's last change at the CRM, as last read"
    )
    created_from = models.ForeignKey(
        WebhookDelivery,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The webhook request that created it",
    )
    sync_state = models.CharField(max_length=20, choices=SyncState.choices, default=SyncState.IN_SYNC)
    sync_detail = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(
        null=True, blank=True, help_text="Last read from or written to the CRM"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "external_id"], name="one_contract_per_deal"
            ),
        ]
        indexes = [models.Index(fields=["organization", "negotiation_status"], name="contract_status")]

    def __str__(self) -> str:
        return self.title or f"{self.provider} deal {self.external_id}"


class FileState(models.TextChoices):
    PENDING = "pending", "Waiting to download"
    STORED = "stored", "Stored"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Download failed"


def file_path(row: ContractFile, filename: str) -> str:
    """``contracts/<organization>/<contract>/<CRM file id>-<name>``: one place per file, never guessed."""
    name = get_valid_filename(PurePosixPath(filename).name) or "file"
    contract = row.contract
    return f"contracts/{contract.organization_id}/{contract.pk}/{row.external_id}-{name}"


class ContractFile(models.Model):
    """A file attached to the deal. Refused and failed files are kept, with the reason, so the
    contract shows every file the deal has; only stored ones have content."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="files")
    external_id = models.CharField(max_length=100, help_text="The CRM's file id")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150, blank=True)
    size = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Bytes: as declared by the CRM until stored, then as stored"
    )
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the content, hex")
    file = models.FileField(upload_to=file_path, max_length=500, blank=True)
    state = models.CharField(max_length=20, choices=FileState.choices, default=FileState.PENDING)
    state_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Downloads tried")
    stored_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "external_id"], name="one_row_per_contract_file"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display()})"
