"""Contracts in the admin: each with its deal, its files (state, reason, download) and its sync state.

A contract is written from its deal; staff change only its negotiation status here, through
``contract_status_set`` (which has it written to the deal). Everything else is read-only.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from crm_integrations.admin_display import CrmFilter, provider_name
from crm_integrations.admin_scoping import OrganizationScopedAdmin
from crm_integrations.core.errors import CrmError
from crm_integrations.models import ConnectionStatus

from .models import Contract, ContractFile, FileState, StageStatus
from .services import contract_status_set, contract_statuses_send_again
from .stages import deal_stages, find_stage

EDITABLE = ("negotiation_status",)
#: Where a status change came from, by the prefix ``contract_status_set`` callers give ``by``.
CHANGED_IN = {"admin": "in the admin", "api": "through the API"}


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ContractFileInline(ReadOnly, admin.TabularInline):
    model = ContractFile
    extra = 0
    fields = ["name", "state", "state_reason", "content_type", "file_size", "digest", "attempts", "download"]
    readonly_fields = fields

    @admin.display(description="SHA-256")
    def digest(self, row: ContractFile) -> str:
        """The first 12 hex digits, the whole digest on hover: 64 of them pushed the table past a
        1366 px screen."""
        if not row.checksum:
            return "—"
        return format_html('<span title="{}">{}…</span>', row.checksum, row.checksum[:12])

    @admin.display(description="size")
    def file_size(self, row: ContractFile) -> str:
        return filesizeformat(row.size) if row.size is not None else "—"

    @admin.display(description="file")
    def download(self, row: ContractFile) -> str:
        if row.state != FileState.STORED or not row.file:
            return "—"
        url = reverse("admin:contracts_contractfile_download", args=[row.pk])
        return format_html('<a href="{}" class="contract-file-download">Download</a>', url)


@admin.register(Contract)
class ContractAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Contracts of the user's organizations: its administrators change the negotiation status."""

    organization_path = "organization"
    # Seven columns, so the list fits a 1366 px screen beside the filters (the date is in the
    # date hierarchy above it).
    list_display = [
        "title",
        "organization",
        "counterparty",
        "value",
        "negotiation_status",
        "files_summary",
        "sync",
    ]
    list_filter = ["negotiation_status", "sync_state", CrmFilter, "organization"]
    search_fields = ["title", "counterparty", "external_id"]
    date_hierarchy = "created_at"
    inlines = [ContractFileInline]
    change_form_template = "admin/contracts/contract/change_form.html"
    fieldsets = [
        (
            None,
            {"fields": ["title", "organization", "counterparty", "value", "negotiation_status"]},
        ),
        (
            "Deal",
            {"fields": ["crm", "deal_id", "connection", "deal_updated_at", "created_from_link"]},
        ),
        (
            "Sync",
            {
                "fields": [
                    "sync_state",
                    "sync_detail",
                    "last_synced_at",
                    "status_changed_at",
                    "changed_by",
                    "status_versions",
                    "status_pushed_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
        ("Deal as last read", {"fields": ["snapshot"], "classes": ["collapse"]}),
    ]

    actions = ["push_status_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # contracts are written from their deals

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [field for _, options in self.fieldsets for field in options["fields"]]
        if not self.has_change_permission(request, obj):
            return fields
        return [field for field in fields if field not in EDITABLE]

    def save_model(self, request: HttpRequest, obj: Contract, form: Any, change: bool) -> None:
        """Only the status is editable, and it goes through the service (pushed to the deal)."""
        if "negotiation_status" in form.changed_data:
            by = f"admin:{request.user.get_username()}"
            contract_status_set(obj, obj.negotiation_status, by=by)

    @admin.display(description="amount", ordering="amount")
    def value(self, contract: Contract) -> str:
        if contract.amount is None:
            return "—"
        return f"{intcomma(contract.amount)} {contract.currency}".strip()

    @admin.display(description="sync", ordering="sync_state")
    def sync(self, contract: Contract) -> str:
        if contract.last_synced_at is None:
            return contract.get_sync_state_display()
        return f"{contract.get_sync_state_display()}, {naturaltime(contract.last_synced_at)}"

    @admin.display(description="CRM")
    def crm(self, contract: Contract) -> str:
        return provider_name(contract.provider)

    @admin.display(description="deal ID")
    def deal_id(self, contract: Contract) -> str:
        return contract.external_id

    @admin.display(description="status changed by")
    def changed_by(self, contract: Contract) -> str:
        """``admin:ada`` → "ada, in the admin"; ``api:ada`` → "ada, through the API"; a CRM's
        ``<key>: CRM_UI userId:123`` → the CRM's name and the rest."""
        who = contract.status_changed_by
        where, _, rest = who.partition(":")
        if not rest:
            return who or "—"
        if where in CHANGED_IN:
            return f"{rest}, {CHANGED_IN[where]}"
        return f"{provider_name(where)}: {rest.strip()}"

    @admin.display(description="status versions")
    def status_versions(self, contract: Contract) -> str:
        return f"changed {contract.status_version}, written to the CRM {contract.status_pushed_version}"

    @admin.action(description="Send the status to the CRM again", permissions=["change"])
    def push_status_again(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        """Queue the push for contracts whose status is not written (e.g. after a failure gave up)."""
        queued = contract_statuses_send_again(queryset)
        skipped = queryset.count() - queued
        message = f"{queued} status(es) queued to be written to the CRM"
        if skipped:
            message += f"; {skipped} contract(s) already in sync"
        self.message_user(request, message + ".", messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return super().get_queryset(request).select_related("organization").prefetch_related("files")

    @admin.display(description="files")
    def files_summary(self, contract: Contract) -> str:
        counts: dict[str, int] = {}
        for row in contract.files.all():
            counts[row.get_state_display()] = counts.get(row.get_state_display(), 0) + 1
        return ", ".join(f"{count} {state.lower()}" for state, count in sorted(counts.items())) or "none"

    @admin.display(description="created by")
    def created_from_link(self, contract: Contract) -> str:
        if contract.created_from_id is None:
            return "—"
        url = reverse("admin:crm_integrations_webhookdelivery_change", args=[contract.created_from_id])
        return format_html('<a href="{}">webhook delivery {}</a>', url, contract.created_from_id)

    @admin.display(description="deal")
    def snapshot(self, contract: Contract) -> str:
        return format_html("<pre>{}</pre>", json.dumps(contract.deal_snapshot, indent=2, sort_keys=True))

    def get_urls(self) -> list:
        download = self.admin_site.admin_view(self.download_view)
        return [
            path("file/<int:file_id>/download/", download, name="contracts_contractfile_download"),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, file_id: int) -> FileResponse:
        """The stored bytes through the storage API, as an attachment, to staff who may view contracts."""
        files = self.scope(request, ContractFile.objects.select_related("contract"), through="contract")
        row = get_object_or_404(files, pk=file_id)
        if not self.has_view_permission(request, row.contract):
            raise Http404
        if row.state != FileState.STORED or not row.file:
            raise Http404("This file has no stored content.")
        return FileResponse(
            row.file.storage.open(row.file.name, "rb"),
            as_attachment=True,
            filename=row.name,
            content_type=row.content_type or "application/octet-stream",
        )


class StageStatusForm(forms.ModelForm):
    """The stage is checked against the connection's deal stages (read from the CRM), by id or name."""

    class Meta:
        model = StageStatus
        fields = ["connection", "stage", "status"]
        help_texts = {
            "stage": "The deal stage's internal id or its name, as in the CRM's pipeline settings.",
            "status": "The negotiation status a deal moved to this stage gives its contract.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "connection" in self.fields:  # absent from a read-only view (a member's)
            self.fields["connection"].queryset = self.fields["connection"].queryset.filter(
                status=ConnectionStatus.CONNECTED
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        connection, wanted = data.get("connection"), data.get("stage")
        if connection is None or not wanted:
            return data
        try:
            stages = deal_stages(connection)
        except CrmError as error:
            raise forms.ValidationError(f"The deal stages could not be read from the CRM: {error}") from None
        stage = find_stage(stages, wanted)
        if stage is None:
            known = ", ".join(f"{option.label} ({option.value})" for option in stages) or "none"
            self.add_error("stage", f"The CRM has no deal stage “{wanted}”. Its stages: {known}.")
            return data
        data["stage"] = self.instance.stage = stage.value
        self.instance.stage_label = stage.label
        return data


@admin.register(StageStatus)
class StageStatusAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Which deal stages mean which negotiation status (a deal moved there updates its contract)."""

    organization_path = "connection__organization"

    form = StageStatusForm
    list_display = ["connection", "deal_stage", "status"]
    list_filter = ["status", "connection__organization"]
    search_fields = ["stage", "stage_label"]

    @admin.display(description="deal stage", ordering="stage_label")
    def deal_stage(self, row: StageStatus) -> str:
        """The stage's name, with its id in the CRM when the two differ."""
        if not row.stage_label or row.stage_label == row.stage:
            return row.stage
        return f"{row.stage_label} ({row.stage})"

    def get_queryset(self, request: HttpRequest) -> QuerySet[StageStatus]:
        return (
            super()
            .get_queryset(request)
            .select_related("connection__organization", "connection__integration")
        )
