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
from field_mapping.labels import LabelBook
from field_mapping.selectors import organization_label_book

from .. import rulesets
from ..condition_text import condition_text, conditions_text, value_suggestions
from ..models import Condition, Rule, RuleSet, RuleSetVersion
from ..rule_order import next_position
from ..ruleset_checks import draft_warnings
from . import ruleset_views
from .display import EMPTY
from .forms import ConditionForm, RuleForm, ValueInput
from .one_per_organization import some_organization_lacks


def changes_list(changes: list[str]) -> str:
    return format_html(
        "<ul class='changes'>{}</ul>", format_html_join("", "<li>{}</li>", ((c,) for c in changes))
    )


class RuleInline(admin.TabularInline):
    """The draft's rules in order, each with its Move up/down buttons and, in words, why it may
    never fire (``routing/ruleset_checks.py``); conditions and pools are edited on each rule's page.

    Inline instances are made per request (``get_inline_instances``), so what ``get_formset``
    keeps on ``self`` (the warnings, whether the user may move rules) is this request's."""

    model = Rule
    extra = 0
    # "Which leads" (all/any) reads inside the conditions; it is set on the rule's page.
    fields = ["position", "order", "name", "enabled", "strategy", "conditions_text", "warnings"]
    readonly_fields = ["position", "order", "conditions_text", "warnings"]
    show_change_link = True
    ordering = ["position", "id"]

    def get_formset(self, request: HttpRequest, obj: RuleSet | None = None, **kwargs: Any) -> Any:
        self.found = draft_warnings(obj) if obj is not None and obj.pk else {}
        self.book = organization_label_book(obj.organization_id) if obj is not None else LabelBook()
        self.can_move = obj is not None and self.has_change_permission(request, obj)
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="conditions")
    def conditions_text(self, rule: Rule) -> str:
        if not rule.pk:
            return EMPTY
        return conditions_text(rule, rule.conditions.all(), getattr(self, "book", LabelBook()))

    @admin.display(description="move")
    def order(self, rule: Rule) -> str:
        if not rule.pk or not getattr(self, "can_move", False):
            return ""
        buttons = (
            (
                reverse("admin:routing_ruleset_move_rule", args=[rule.ruleset_id, rule.pk, direction]),
                direction,
                rule.name,
                label,
                arrow,
            )
            for direction, label, arrow in (("up", "Move up", "↑"), ("down", "Move down", "↓"))
        )
        return format_html_join(
            "",
            '<button type="submit" form="rule-move" formaction="{}" class="move-rule" data-move="{}" '
            'aria-label="{} {}" title="{}">{}</button>',
            ((url, direction, label, name, label, arrow) for url, direction, name, label, arrow in buttons),
        )

    @admin.display(description="warnings")
    def warnings(self, rule: Rule) -> str:
        found = getattr(self, "found", {}).get(rule.pk, ())
        return format_html_join("", "<p class='rule-warning'>{}</p>", ((text,) for text in found)) or ""


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

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Only while one of the user's organizations has no rule set (one each)."""
        return super().has_add_permission(request) and some_organization_lacks(request, "rule_set")

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """New rules from the inline go last (positions are set by moving, not typed)."""
        if formset.model is not Rule:
            return super().save_formset(request, form, formset, change)
        for rule in formset.save(commit=False):
            if rule.pk is None:
                rule.position = next_position(form.instance)
            rule.save()
        for rule in formset.deleted_objects:
            rule.delete()
        formset.save_m2m()
        return None

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
            path(
                "<path:object_id>/rules/<int:rule_id>/move/<str:direction>/",
                wrap(self.move_view),
                name="routing_ruleset_move_rule",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return ruleset_views.publish(self, request, object_id)

    def simulate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return ruleset_views.simulate(self, request, object_id)

    def move_view(self, request: HttpRequest, object_id: str, rule_id: int, direction: str) -> HttpResponse:
        return ruleset_views.move(self, request, object_id, rule_id, direction)


class ConditionInline(admin.TabularInline):
    """A rule's conditions: the value suggests the organization's known values by their CRM labels,
    and "reads as" shows a saved condition in those words (routing/condition_text.py)."""

    model = Condition
    form = ConditionForm
    extra = 1
    fields = ["field", "op", "value", "reads_as"]
    readonly_fields = ["reads_as"]

    def get_formset(self, request: HttpRequest, obj: Rule | None = None, **kwargs: Any) -> Any:
        organization_id = obj.ruleset.organization_id if obj is not None else None
        self.book = organization_label_book(organization_id) if organization_id else LabelBook()
        kwargs["widgets"] = {"value": ValueInput(value_suggestions(self.book))}
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="reads as")
    def reads_as(self, condition: Condition) -> str:
        return condition_text(condition, getattr(self, "book", LabelBook())) if condition.pk else EMPTY


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
        return ["ruleset", "position"] if obj else []

    def get_fieldsets(self, request: HttpRequest, obj: Rule | None = None) -> list[Any]:
        """A new rule has no position to show: it goes last (``save_model``)."""
        if obj is not None:
            return self.fieldsets
        first, *rest = self.fieldsets
        fields = [name for name in first[1]["fields"] if name != "position"]
        return [(first[0], {**first[1], "fields": fields}), *rest]

    def save_model(self, request: HttpRequest, obj: Rule, form: Any, change: bool) -> None:
        if not change:
            obj.position = next_position(obj.ruleset)  # last; moved from the rule set page
        super().save_model(request, obj, form, change)

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
