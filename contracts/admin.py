"""Contracts in the admin: each with its deal, its files (state, reason, download) and its sync state.

Read-only for now: a contract is written from its deal; changing the negotiation status here
comes with the status sync to the CRM.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from .models import Contract, ContractFile, FileState


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
    fields = ["name", "state", "state_reason", "content_type", "size", "checksum", "attempts", "download"]
    readonly_fields = fields

    @admin.display(description="file")
    def download(self, row: ContractFile) -> str:
        if row.state != FileState.STORED or not row.file:
            return "—"
        url = reverse("admin:contracts_contractfile_download", args=[row.pk])
        return format_html('<a href="{}" class="contract-file-download">Download</a>', url)


@admin.register(Contract)
class ContractAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "title",
        "organization",
        "counterparty",
        "amount",
        "currency",
        "negotiation_status",
        "files_summary",
        "sync_state",
        "last_synced_at",
        "created_at",
    ]
    list_filter = ["negotiation_status", "sync_state", "provider", "organization"]
    search_fields = ["title", "counterparty", "external_id"]
    date_hierarchy = "created_at"
    inlines = [ContractFileInline]
    fieldsets = [
        (
            None,
            {"fields": ["title", "organization", "counterparty", "amount", "currency", "negotiation_status"]},
        ),
        (
            "Deal",
            {"fields": ["provider", "external_id", "connection", "deal_updated_at", "created_from_link"]},
        ),
        ("Sync", {"fields": ["sync_state", "sync_detail", "last_synced_at", "created_at", "updated_at"]}),
        ("Deal as last read", {"fields": ["snapshot"], "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field for _, options in self.fieldsets for field in options["fields"]]

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
        row = get_object_or_404(ContractFile.objects.select_related("contract"), pk=file_id)
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
