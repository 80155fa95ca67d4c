"""The rule set (the draft staff edit, with Publish and Simulate) and its rules with conditions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from crm_integrations.admin_scoping import OrganizationScopedAdmin

from .. import rulesets
from ..models import Condition, Rule, RuleSet, RuleSetVersion
from . import ruleset_views
from .display import EMPTY
from .forms import ConditionForm, RuleForm


def changes_list(changes: list[str]) -> str:
    return format_html(
        "<ul class='changes'>{}</ul>", format_html_join("", "<li>{}</li>", ((c,) for c in changes))
    )


class RuleInline(admin.TabularInline):
    """The draft's rules in order; conditions and pools are edited on each rule's page."""

    model = Rule
    extra = 0
    fields = ["position", "name", "enabled", "match", "strategy", "conditions_text"]
    readonly_fields = ["conditions_text"]
    show_change_link = True
    ordering = ["position", "id"]

    @admin.display(description="conditions")
    def conditions_text(self, rule: Rule) -> str:
        if not rule.pk:
            return EMPTY
        return "; ".join(str(c) for c in rule.conditions.all()) or "every lead"


class VersionInline(admin.TabularInline):
    """Published versions, newest first: what routing ran and runs (read-only)."""

    model = RuleSetVersion
    extra = 0
    can_delete = False
    fields = ["number", "published_by", "published_at", "changes_shown", "note"]
    readonly_fields = fields
    verbose_name = "published version"
    verbose_name_plural = "published versions (routing runs the newest)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="changes")
    def changes_shown(self, version: RuleSetVersion) -> str:
        return changes_list(version.changes)


@admin.register(RuleSet)
class RuleSetAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "organization"
    list_display = ["name", "organization", "rule_count", "live", "draft_updated_at", "draft_updated_by"]
    search_fields = ["name", "organization__name"]
    fields = ["organization", "name", "live", "unpublished", "draft_updated_at", "draft_updated_by"]
    readonly_fields = ["live", "unpublished", "draft_updated_at", "draft_updated_by"]
    inlines = [RuleInline, VersionInline]
    change_form_template = "admin/routing/ruleset/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSet]:
        return super().get_queryset(request).annotate(rules_total=Count("rules", distinct=True))

    def get_readonly_fields(self, request: HttpRequest, obj: RuleSet | None = None) -> list[str]:
        return [*self.readonly_fields, *(["organization"] if obj else [])]

    @admin.display(description="rules", ordering="rules_total")
    def rule_count(self, ruleset: RuleSet) -> int:
        return ruleset.rules_total

    @admin.display(description="live version")
    def live(self, ruleset: RuleSet) -> str:
        version = rulesets.live_version(ruleset.organization_id) if ruleset.pk else None
        if version is None:
            return "nothing published yet: leads are not routed"
        return f"v{version.number}, published {timezone.localtime(version.published_at):%Y-%m-%d %H:%M}"

    @admin.display(description="draft against the live version")
    def unpublished(self, ruleset: RuleSet) -> str:
        if not ruleset.pk:
            return EMPTY
        try:
            return changes_list(ruleset_views.unpublished_changes(ruleset))
        except ValidationError as error:
            return "; ".join(error.messages)

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        obj.draft_updated_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/publish/", wrap(self.publish_view), name="routing_ruleset_publish"),
            path("<path:object_id>/simulate/", wrap(self.simulate_view), name="routing_ruleset_simulate"),
            *super().get_urls(),
        ]

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return ruleset_views.publish(self, request, object_id)

    def simulate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return ruleset_views.simulate(self, request, object_id)


class ConditionInline(admin.TabularInline):
    model = Condition
    form = ConditionForm
    extra = 1


@admin.register(Rule)
class RuleAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "ruleset__organization"
    form = RuleForm
    list_display = ["name", "ruleset", "position", "enabled", "match", "strategy"]
    list_filter = ["enabled", "strategy", "ruleset__organization"]
    search_fields = ["name"]
    ordering = ["ruleset", "position", "id"]
    inlines = [ConditionInline]
    filter_horizontal = ["pool_reps", "pool_teams", "fallback_reps", "fallback_teams"]
    fieldsets = [
        (None, {"fields": ["ruleset", "name", "position", "enabled"]}),
        ("Which leads", {"fields": ["match"], "description": "Conditions are listed below."}),
        (
            "Who gets them",
            {
                "fields": ["strategy", "pool_strategy", "pool_reps", "pool_teams"],
                "description": "The pool: reps named here and every member of the teams.",
            },
        ),
        (
            "Fallback",
            {
                "fields": ["fallback_reps", "fallback_teams"],
                "description": "Tried with the same strategy when nobody in the pool can take the lead.",
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Rule | None = None) -> list[str]:
        return ["ruleset"] if obj else []

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        ruleset = form.instance.ruleset
        ruleset.draft_updated_by = request.user
        ruleset.save(update_fields=["draft_updated_by", "draft_updated_at"])

    def delete_model(self, request: HttpRequest, obj: Rule) -> None:
        super().delete_model(request, obj)
        RuleSet.objects.filter(pk=obj.ruleset_id).update(
            draft_updated_by=request.user, draft_updated_at=timezone.now()
        )

    def _back_to_ruleset(self, obj: Rule) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:routing_ruleset_change", args=[obj.ruleset_id]))

    def response_post_save_change(self, request: HttpRequest, obj: Rule) -> HttpResponse:
        return self._back_to_ruleset(obj)

    def response_post_save_add(self, request: HttpRequest, obj: Rule) -> HttpResponse:
        return self._back_to_ruleset(obj)
