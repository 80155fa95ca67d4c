"""Owner write-backs: the outbox of owners to write to the CRM, with "Retry now"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from crm_integrations.admin_scoping import OrganizationScopedAdmin

from ..models import LeadJourney, OwnerWrite
from ..writeback_retry import retry_now
from .display import EMPTY, admin_link, latency_text


@admin.register(OwnerWrite)
class OwnerWriteAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Read-only: rows change only through the flush (and "Retry now")."""

    organization_path = "connection__organization"

    list_display = [
        "created_at",
        "lead",
        "rep",
        "record_id",
        "status",
        "attempts",
        "error",
        "latency",
        "batch_size",
        "task_status",
    ]
    list_filter = ["status", "task_status", "connection"]
    search_fields = ["record_id", "owner_external_id", "decision__lead__email"]
    date_hierarchy = "created_at"
    list_select_related = [
        "decision__lead",
        "decision__rep",
        "connection__integration",
        "connection__organization",
    ]
    fields = [
        "lead",
        "rep",
        "connection",
        "object_type",
        "record_id",
        "owner_property",
        "owner",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "written_at",
        "latency",
        "batch_size",
        "task_status",
        "task_id",
        "task_error",
    ]
    readonly_fields = fields
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("routing.change_ownerwrite")

    @admin.display(description="lead")
    def lead(self, write: OwnerWrite) -> str:
        lead = write.decision.lead
        return admin_link(LeadJourney(pk=lead.pk), lead.name or lead.email or lead.external_id)

    @admin.display(description="rep")
    def rep(self, write: OwnerWrite) -> Any:
        return write.decision.rep or EMPTY

    @admin.display(description="owner written")
    def owner(self, write: OwnerWrite) -> str:
        """``Ann (owner 71)``: the rep whose CRM owner id is written."""
        rep = write.decision.rep
        return f"{rep} (owner {write.owner_external_id})" if rep else f"owner {write.owner_external_id}"

    @admin.display(description="last error")
    def error(self, write: OwnerWrite) -> str:
        return Truncator(write.last_error).chars(80) or EMPTY

    @admin.display(description="latency")
    def latency(self, write: OwnerWrite) -> str:
        return latency_text(write)

    @admin.action(description="Retry now", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OwnerWrite]) -> None:
        messages.success(request, f"{retry_now(queryset)}.")
