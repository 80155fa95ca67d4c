"""Contracts made from CRM deals, and the files attached to them.

A contract is one CRM deal (``external_id``) of one organization and provider. The sync fields
(``sync_state``, ``sync_detail``, ``last_synced_at``) say how the contract stands with its deal.

The negotiation status is more than a column: a change of it has an author and a version, and is
written to the deal. So it changes in one place, ``contracts.services.contract_status_record``
(staff and the API call it through ``contract_status_set``; contracts/status_in.py for a change
made at the CRM), and is written to the deal by contracts/status_out.py. The model only guards the
columns those write: ``Contract.save`` never writes them on an update, and refuses an instance
whose status was changed, so no change can skip its version or its push. Nothing here pushes or
queues anything (an import-linter contract in pyproject.toml keeps this module below the services).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

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


#: The status and its bookkeeping, written only by contracts/services.py (``contract_status_record``)
#: and contracts/status_out.py with conditional UPDATEs. ``Contract.save`` never writes them on an
#: update, so a stale instance saved later cannot roll a status or a version back, nor drop a lease.
STATUS_FIELDS = frozenset(
    {
        "negotiation_status",
        "status_changed_at",
        "status_changed_by",
        "status_version",
        "status_pushed_version",
        "status_pushed_at",
        "status_push_token",
        "status_push_until",
    }
)
#: ``Contract.from_db`` could not see the status (deferred): a status set later counts as a change.
_UNKNOWN = object()


class StatusNotSaved(ValueError):
    """``save()`` was asked to write the negotiation status: that is a status change, which has an
    author, a version and a push to the deal (``contracts.services.contract_status_set``)."""


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
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.CharField(
        max_length=150, blank=True, help_text='Who changed the status last ("admin:<user>", "code", ...)'
    )
    status_version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Bumped by every status change"
    )
    status_pushed_version = models.PositiveIntegerField(
        default=0, editable=False, help_text="The status version last written to the deal"
    )
    status_pushed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a status was last written to the deal"
    )
    status_push_token = models.CharField(max_length=32, blank=True, editable=False)
    status_push_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="A worker writes the status to the deal until then"
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; on an update, every field but ``STATUS_FIELDS``. A status set on the instance is
        refused (``StatusNotSaved``) rather than dropped or written without its version and push."""
        if self._state.adding or kwargs.get("force_insert"):
            super().save(*args, **kwargs)
            self._stored_status = self.negotiation_status
            return
        update_fields = kwargs.get("update_fields")
        names_status = STATUS_FIELDS.intersection(update_fields or ())
        if names_status or (update_fields is None and self._status_edited()):
            raise StatusNotSaved(
                "A contract's negotiation status changes through contracts.services.contract_status_set "
                "(it records who changed it and has it written to the deal), not through save()."
            )
        if update_fields is None:
            deferred = self.get_deferred_fields()
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in STATUS_FIELDS
                and (f.attname not in deferred or f.name == "updated_at")
            ]
        super().save(*args, **{**kwargs, "update_fields": update_fields})

    def _status_edited(self) -> bool:
        """The instance's status differs from the one it was read with (or was set unread)."""
        current = self.__dict__.get("negotiation_status", _UNKNOWN)
        return current is not _UNKNOWN and current != getattr(self, "_stored_status", _UNKNOWN)

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Contract:
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("negotiation_status", _UNKNOWN)
        return instance

    def refresh_from_db(
        self, using: str | None = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if "negotiation_status" in self.__dict__ and (fields is None or "negotiation_status" in fields):
            self._stored_status = self.negotiation_status

    @property
    def status_in_sync(self) -> bool:
        return self.status_pushed_version >= self.status_version


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


class StageStatus(models.Model):
    """A deal stage that means a negotiation status: a deal moved to ``stage`` in the CRM sets its
    contract's status to ``status`` (``contracts.status_in``), unless the contract changed since."""

    connection = models.ForeignKey(
        OrganizationIntegration, on_delete=models.CASCADE, related_name="contract_stage_statuses"
    )
    stage = models.CharField(max_length=100, help_text="The CRM's internal id of the deal stage")
    stage_label = models.CharField(max_length=255, blank=True, help_text="As the CRM names it, when known")
    status = models.CharField(max_length=20, choices=NegotiationStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["connection", "stage"]
        verbose_name = "deal stage → status mapping"
        verbose_name_plural = "deal stage → status mappings"
        constraints = [
            models.UniqueConstraint(fields=["connection", "stage"], name="one_status_per_deal_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_label or self.stage} → {self.get_status_display()}"
