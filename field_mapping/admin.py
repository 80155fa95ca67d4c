"""Admin for mappings and the canonical leads they produce, and the mapping wizard (``wizard_views``)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join

from crm_integrations.admin_scoping import OrganizationScopedAdmin

from . import wizard_views
from .models import FieldMapping, FieldRule, Lead, StatusMapping


class FieldRuleInline(admin.TabularInline):
    model = FieldRule
    extra = 0


class StatusMappingInline(admin.TabularInline):
    model = StatusMapping
    extra = 0


@admin.register(FieldMapping)
class FieldMappingAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "connection__organization"
    list_display = ["connection", "object_type", "status_source", "updated_at", "updated_by"]
    readonly_fields = ["created_at", "updated_at", "updated_by"]
    inlines = [FieldRuleInline, StatusMappingInline]
    # Both add "Open the mapping wizard" to the object tools.
    change_list_template = "admin/field_mapping/fieldmapping/change_list.html"
    change_form_template = "admin/field_mapping/fieldmapping/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("wizard/", wrap(self.wizard_view), name="field_mapping_fieldmapping_wizard"),
            path(
                "wizard/<uuid:connection_id>/",
                wrap(self.wizard_mapping_view),
                name="field_mapping_fieldmapping_wizard_mapping",
            ),
            *super().get_urls(),
        ]

    def wizard_view(self, request: HttpRequest) -> HttpResponse:
        return wizard_views.choose_connection(self, request)

    def wizard_mapping_view(self, request: HttpRequest, connection_id: Any) -> HttpResponse:
        return wizard_views.edit_mapping(self, request, connection_id)

    def save_model(self, request: HttpRequest, obj: FieldMapping, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Lead)
class LeadAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Every lead taken in, including those whose mapping failed (state "mapping error")."""

    organization_path = "organization"

    list_display = [
        "external_id",
        "name",
        "email",
        "company",
        "source",
        "status",
        "state",
        "received_via",
        "connection",
        "last_received_at",
    ]
    list_filter = ["state", "status", "received_via", "organization", "connection__integration"]
    search_fields = ["external_id", "email", "name", "company"]
    date_hierarchy = "last_received_at"
    fields = [
        "organization",
        "connection",
        "object_type",
        "external_id",
        "state",
        "errors",
        "name",
        "email",
        "company",
        "country",
        "source",
        "owner_external_id",
        "amount",
        "industry",
        "status",
        "lead_type",
        "crm_updated_at",
        "received_via",
        "first_received_at",
        "last_received_at",
        "raw_record",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of what happened: viewed, never edited

    @admin.display(description="mapping errors")
    def errors(self, lead: Lead) -> str:
        if not lead.mapping_errors:
            return "—"
        rows = ((error.get("field", ""), error.get("message", "")) for error in lead.mapping_errors)
        return format_html("<ul>{}</ul>", format_html_join("", "<li><b>{}</b>: {}</li>", rows))

    @admin.display(description="raw CRM record")
    def raw_record(self, lead: Lead) -> str:
        return format_html("<pre>{}</pre>", json.dumps(lead.raw, indent=2, sort_keys=True))
