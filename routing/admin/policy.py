"""The routing policy: one per organization (route-if filters, tasks, SLA, KPI weights).

Placeholder owners are chosen by name from the CRM users the rep sync knows
(``routing/owner_names.py``); the policy still stores their CRM owner ids, which routing reads.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from crm_integrations.admin_scoping import OrganizationScopedAdmin

from ..models import RoutingPolicy
from ..owner_names import owner_names
from .display import EMPTY
from .one_per_organization import some_organization_lacks


def _ids(text: str) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


class RoutingPolicyForm(forms.ModelForm):
    placeholder_owner_ids = forms.MultipleChoiceField(
        label="Placeholder owners",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "CRM users that stand for a queue, not a person: a lead they own counts as unowned and "
            "is routed. Queues are ticked by the rep sync."
        ),
    )

    class Meta:
        model = RoutingPolicy
        fields = [
            "organization",
            "enabled",
            "owner_policy",
            "placeholder_owner_ids",
            "excluded_sources",
            "create_tasks",
            "task_due_minutes",
            "sla_reroute_minutes",
            "kpi_win_rate_weight",
            "kpi_load_weight",
            "kpi_speed_weight",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["placeholder_owner_ids"]
        stored = _ids(self.instance.placeholder_owner_ids)
        organization_id = self.instance.organization_id or self.data.get("organization") or None
        names = owner_names(int(organization_id)) if organization_id else {}
        unknown = [
            (key, f"owner {key} (not among the synced CRM users)") for key in stored if key not in names
        ]
        field.choices = [*sorted(names.items(), key=lambda item: item[1].casefold()), *unknown]
        self.initial["placeholder_owner_ids"] = stored

    def clean_placeholder_owner_ids(self) -> str:
        return ", ".join(self.cleaned_data["placeholder_owner_ids"])


@admin.register(RoutingPolicy)
class RoutingPolicyAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "organization"
    form = RoutingPolicyForm
    list_display = [
        "organization",
        "enabled",
        "owner_policy",
        "placeholders",
        "create_tasks",
        "sla_reroute_minutes",
    ]
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
        ("Rerouting", {"fields": ["sla_reroute_minutes"]}),
        (
            "KPI score weights",
            {
                "fields": ["kpi_win_rate_weight", "kpi_load_weight", "kpi_speed_weight"],
                "description": "How much each part counts in a rep's score (used by 'Best KPI score').",
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: RoutingPolicy | None = None) -> list[str]:
        return ["organization"] if obj else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Only while one of the user's organizations has no policy (one each)."""
        return super().has_add_permission(request) and some_organization_lacks(request, "routing_policy")

    @admin.display(description="placeholder owners")
    def placeholders(self, policy: RoutingPolicy) -> str:
        ids = _ids(policy.placeholder_owner_ids)
        if not ids:
            return EMPTY
        names = owner_names(policy.organization_id)
        return ", ".join(names.get(key, f"owner {key}") for key in ids)
