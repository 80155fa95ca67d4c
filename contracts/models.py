"""Contracts made from CRM deals, and the files attached to them.

A contract is one CRM deal (``external_id``) of one organization and provider. The sync fields
(``sync_state``, ``sync_detail``, ``last_synced_at``) say how the contract stands with its deal.

Status changes are caught in one place, ``Contract.save`` (and ``ContractQuerySet.update``): the
admin, the API and plain code all go through it. A change of ``negotiation_status`` bumps
``status_version`` in the database (``F() + 1``), marks the contract "changes to send" and, once the
transaction commits, queues ``contracts.tasks.push_contract_status``, which writes the then-current
status to the deal and records the version it wrote in ``status_pushed_version``
(see ``contracts.status_sync``). ``contracts.services.contract_status_set`` is the service callers
use; it says who made the change.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django.db import models, router, transaction
from django.db.models import F
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


#: Fields only the status push writes (with conditional updates); ``Contract.save`` never writes
#: them on an update, so a stale instance saved later cannot roll a version back or drop a lease.
STATUS_CONTROL_FIELDS = frozenset(
    {"status_version", "status_pushed_version", "status_pushed_at", "status_push_token", "status_push_until"}
)
#: ``Contract.from_db`` could not see the status (deferred): a status set later counts as a change.
_UNKNOWN = object()


def queue_status_push(contract_id: int) -> None:
    """Have ``push_contract_status`` write the contract's status to its deal (call it on commit)."""
    from .tasks import push_contract_status

    push_contract_status.delay(contract_id)


class ContractQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        """A bulk update naming ``negotiation_status`` is a status change for every row it matches:
        each row's version is bumped and its status pushed after the commit."""
        if "negotiation_status" not in kwargs:
            return super().update(**kwargs)
        kwargs.setdefault("status_changed_at", timezone.now())
        kwargs.setdefault("status_changed_by", "code")
        kwargs.setdefault("sync_state", SyncState.PENDING)
        kwargs.setdefault("sync_detail", "status change to send to the CRM")
        with transaction.atomic(using=self.db):
            ids = list(self.values_list("pk", flat=True))
            count = super().update(status_version=F("status_version") + 1, **kwargs)
            for contract_id in ids:
                transaction.on_commit(lambda pk=contract_id: queue_status_push(pk), using=self.db)
        return count

    def update_without_push(self, **kwargs: Any) -> int:
        """A plain UPDATE, not a status change to send: for a status the CRM itself reported
        (``contracts.status_in``), whose caller decides whether the deal needs it written."""
        return super().update(**kwargs)


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

    objects = ContractQuerySet.as_manager()

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
        """Save; a changed ``negotiation_status`` is a status change (version bumped, pushed after
        the commit). On an update the status-control fields are never written from the instance."""
        if self._state.adding or kwargs.get("force_insert"):
            super().save(*args, **kwargs)
            self._loaded_status = self.negotiation_status
            return
        update_fields = kwargs.get("update_fields")
        loaded = getattr(self, "_loaded_status", _UNKNOWN)
        changed = (update_fields is None or "negotiation_status" in update_fields) and (
            self.negotiation_status != loaded
            if loaded is not _UNKNOWN
            else "negotiation_status" in self.__dict__
        )
        if update_fields is None:
            deferred = self.get_deferred_fields()
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in STATUS_CONTROL_FIELDS
                and (f.attname not in deferred or f.name == "updated_at")
            ]
        if not changed:
            super().save(*args, **{**kwargs, "update_fields": update_fields})
            return
        by = self.__dict__.pop("_status_changed_by", None) or "code"
        self.status_changed_at, self.status_changed_by = timezone.now(), by[:150]
        self.sync_state = SyncState.PENDING
        self.sync_detail = f"status “{self.get_negotiation_status_display()}” to send to the CRM"
        self.status_version = F("status_version") + 1
        fields = {*update_fields, "status_version", "status_changed_at", "status_changed_by"}
        fields |= {"sync_state", "sync_detail", "updated_at"}
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(*args, **{**kwargs, "update_fields": sorted(fields)})
            self.refresh_from_db(using=using, fields=["status_version"])
            pk = self.pk
            transaction.on_commit(lambda: queue_status_push(pk), using=using)
        self._loaded_status = self.negotiation_status

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Contract:
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("negotiation_status", _UNKNOWN)
        return instance

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
