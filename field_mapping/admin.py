"""Admin for mappings and the canonical leads they produce, and the mapping wizard (``wizard_views``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from crm_integrations.admin_scoping import OrganizationScopedAdmin

from . import wizard_views
from .labels import describe_settings
from .models import FieldMapping, FieldRule, Lead, LeadState, StatusMapping
from .selectors import LABELS_PREFETCH, label_book


class FieldRuleInline(admin.TabularInline):
    """The rules as the wizard saved them, in words; they are changed in the mapping wizard."""

    model = FieldRule
    extra = 0
    fields = ["canonical_field", "source_path", "transform", "settings"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="transform settings")
    def settings(self, rule: FieldRule) -> str:
        return describe_settings(rule.transform, rule.options or {})


class StatusMappingInline(admin.TabularInline):
    model = StatusMapping
    extra = 0


@admin.register(FieldMapping)
class FieldMappingAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "connection__organization"
    list_display = ["connection", "object_type", "status_source", "updated_at", "updated_by"]
    readonly_fields = ["created_at", "updated_at", "updated_by", "labels_read_at"]
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


def _in_words(column: str, canonical: str, description: str) -> Callable[[Any, Lead], str]:
    """A lead column shown in the CRM's words ("Website" for WEBSITE, the owner's name for an
    owner id), the stored value as the cell's tooltip; the mapping keeps the labels (labels.py)."""

    @admin.display(description=description, ordering=column)
    def shown(model_admin: Any, lead: Lead) -> str:
        value = getattr(lead, column)
        label = label_book(lead.connection).label(canonical, value)
        if label is None:
            return "—" if value in (None, "") else str(value)
        return format_html('<span title="{}">{}</span>', value, label)

    return shown


class MappingCheckFilter(admin.SimpleListFilter):
    title = "mapping"
    parameter_name = "mapping"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("error", "Mapping error"), ("warnings", "Mapped with warnings"), ("clean", "Mapped cleanly")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        no_warnings = Q(mapping_warnings=[])
        if self.value() == "error":
            return queryset.filter(state=LeadState.MAPPING_ERROR)
        if self.value() == "warnings":
            return queryset.filter(state=LeadState.OK).exclude(no_warnings)
        if self.value() == "clean":
            return queryset.filter(no_warnings, state=LeadState.OK)
        return queryset


@admin.register(Lead)
class LeadAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Every lead taken in, including those whose mapping failed (state "mapping error") and those
    mapped with warnings (an optional field with nothing to read); values in the CRM's words."""

    organization_path = "organization"

    # Seven columns beside the filters fit 1366 px (static/field_mapping/leads.css wraps long
    # e-mail addresses); how it was received is a filter, the record id is searchable and on the
    # lead's page.
    list_display = ["lead", "company", "source_shown", "status", "mapping_check", "crm", "received"]
    list_display_links = ["lead"]
    list_filter = [MappingCheckFilter, "status", "received_via", "organization", "connection__integration"]
    search_fields = ["external_id", "email", "name", "company"]
    date_hierarchy = "last_received_at"
    fields = [
        "organization",
        "connection",
        "object_type",
        "external_id",
        "state",
        "errors",
        "warnings",
        "name",
        "email",
        "company",
        "country_shown",
        "source_shown",
        "owner_shown",
        "amount",
        "industry_shown",
        "status",
        "lead_type_shown",
        "crm_updated_at",
        "received_via",
        "first_received_at",
        "last_received_at",
        "raw_record",
    ]
    readonly_fields = fields

    source_shown = _in_words("source", "source", "source")
    owner_shown = _in_words("owner_external_id", "owner", "owner")
    industry_shown = _in_words("industry", "industry", "industry")
    country_shown = _in_words("country", "country", "country")
    lead_type_shown = _in_words("lead_type", "lead_type", "lead type")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        return (
            super()
            .get_queryset(request)
            .select_related("connection__integration")
            .prefetch_related(LABELS_PREFETCH)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of what happened: viewed, never edited

    class Media:
        css = {"all": ["field_mapping/leads.css"]}

    @admin.display(description="lead", ordering="name")
    def lead(self, lead: Lead) -> str:
        name = lead.name or lead.email or f"{lead.object_type} {lead.external_id}"
        if not lead.email or name == lead.email:
            return name
        return format_html('{}<span class="lead-email">{}</span>', name, lead.email)

    @admin.display(description="last received", ordering="last_received_at")
    def received(self, lead: Lead) -> str:
        age = timezone.now() - lead.last_received_at
        return "just now" if age.total_seconds() < 60 else f"{timesince(lead.last_received_at)} ago"

    @admin.display(description="CRM", ordering="connection__integration__name")
    def crm(self, lead: Lead) -> str:
        return str(lead.connection.integration)

    @admin.display(description="mapping")
    def mapping_check(self, lead: Lead) -> str:
        if lead.state == LeadState.MAPPING_ERROR:
            return f"Mapping error ({len(lead.mapping_errors)})"
        if lead.mapping_warnings:
            count = len(lead.mapping_warnings)
            return f"{count} warning{'s' if count != 1 else ''}"
        return "OK"

    @admin.display(description="mapping errors")
    def errors(self, lead: Lead) -> str:
        return _problem_list(lead.mapping_errors)

    @admin.display(description="mapping warnings")
    def warnings(self, lead: Lead) -> str:
        return _problem_list(lead.mapping_warnings)

    @admin.display(description="raw CRM record")
    def raw_record(self, lead: Lead) -> str:
        return format_html("<pre>{}</pre>", json.dumps(lead.raw, indent=2, sort_keys=True))


def _problem_list(problems: list[dict[str, str]]) -> str:
    if not problems:
        return "—"
    rows = ((problem.get("field", ""), problem.get("message", "")) for problem in problems)
    return format_html("<ul>{}</ul>", format_html_join("", "<li><b>{}</b>: {}</li>", rows))
