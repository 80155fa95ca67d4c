"""The routing policy: one per organization (route-if filters, tasks, SLA, KPI weights)."""

from __future__ import annotations

from django.contrib import admin

from crm_integrations.admin_scoping import OrganizationScopedAdmin

from ..models import RoutingPolicy


@admin.register(RoutingPolicy)
class RoutingPolicyAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "organization"
    list_display = ["organization", "enabled", "owner_policy", "create_tasks", "sla_reroute_minutes"]
    list_filter = ["enabled", "owner_policy", "create_tasks"]
    search_fields = ["organization__name"]
    fieldsets = [
        (None, {"fields": ["organization", "enabled"]}),
        (
            "Route-if filters",
            {
                "fields": ["owner_policy", "placeholder_owner_ids", "excluded_sources"],
                "description": "Checked before any rule: won, lost and excluded leads are never routed.",
            },
        ),
        ("Follow-up tasks", {"fields": ["create_tasks", "task_due_minutes"]}),
        ("SLA", {"fields": ["sla_reroute_minutes"]}),
        (
            "KPI score weights",
            {
                "fields": ["kpi_win_rate_weight", "kpi_load_weight", "kpi_speed_weight"],
                "description": "How much each part counts in a rep's score (used by best score).",
            },
        ),
    ]

    def get_readonly_fields(self, request: object, obj: RoutingPolicy | None = None) -> list[str]:
        return ["organization"] if obj else []
