"""Lead journeys: every lead with where routing left it, and each lead's timeline page (events,
decisions with their traces, write-backs), with Reprocess."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from crm_integrations.admin_scoping import OrganizationScopedAdmin
from crm_integrations.core.tracing.waterfall import lead_waterfall
from field_mapping.models import Lead

from ..models import Decision, DecisionOutcome, LeadJourney, OwnerWrite, WriteStatus
from ..owner_names import owner_name
from ..reprocess import reprocess
from .display import EMPTY, decision_text, owner_write_of, write_text
from .timeline import timeline

NOT_ROUTED = "none"


def _current(lead: Lead) -> Decision | None:
    found = getattr(lead, "current_decisions", None)
    if found is None:
        return Decision.objects.filter(lead=lead, is_current=True).select_related("rep").first()
    return found[0] if found else None


class OutcomeFilter(admin.SimpleListFilter):
    title = "routing outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*DecisionOutcome.choices, (NOT_ROUTED, "Not routed yet")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        if self.value() is None:
            return queryset
        if self.value() == NOT_ROUTED:
            return queryset.exclude(routing_decisions__is_current=True)
        return queryset.filter(routing_decisions__is_current=True, routing_decisions__outcome=self.value())


class WriteStatusFilter(admin.SimpleListFilter):
    title = "owner write-back"
    parameter_name = "write"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(WriteStatus.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        if self.value() is None:
            return queryset
        writes = OwnerWrite.objects.filter(
            decision__lead=OuterRef("pk"), decision__is_current=True, status=self.value()
        )
        return queryset.filter(Exists(writes))


@admin.register(LeadJourney)
class LeadJourneyAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Read-only; "Reprocess" routes the chosen leads again (a new decision beside the old)."""

    organization_path = "organization"

    # Five columns: fits 1366 px beside the navigation and the filters (email under the name, the
    # CRM's record id beside its name).
    list_display = ["lead_name", "provider", "routing", "write_back", "received"]
    list_filter = [OutcomeFilter, WriteStatusFilter, "state", "organization"]
    search_fields = ["external_id", "email"]
    list_select_related = ["connection__integration"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "email",
                    "connection",
                    "external_id",
                    "state",
                    "status",
                    "owner",
                ]
            },
        ),
        (
            "The lead's other fields",
            {
                "classes": ["collapse"],
                "fields": [
                    "organization",
                    "object_type",
                    "company",
                    "country",
                    "source",
                    "amount",
                    "industry",
                    "lead_type",
                    "received_via",
                    "first_received_at",
                    "last_received_at",
                ],
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for _, options in self.fieldsets for name in options["fields"]]

    actions = ["reprocess_leads"]
    change_form_template = "admin/routing/leadjourney/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        current = Decision.objects.filter(is_current=True).select_related("rep", "owner_write")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("routing_decisions", queryset=current, to_attr="current_decisions"))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of what happened: viewed, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_reprocess_permission(self, request: HttpRequest, obj: Lead | None = None) -> bool:
        allowed = request.user.has_perm("routing.reprocess_leadjourney")
        return allowed and self.can_administer(request, obj)

    @admin.display(description="lead", ordering="name")
    def lead_name(self, lead: Lead) -> str:
        return format_html(
            '{}<div class="quiet">{}</div>', lead.name or lead.email or lead.external_id, lead.email or ""
        )

    @admin.display(description="last received", ordering="last_received_at")
    def received(self, lead: Lead) -> str:
        return (
            f"{timezone.localtime(lead.last_received_at):%Y-%m-%d %H:%M}" if lead.last_received_at else EMPTY
        )

    @admin.display(description="owner in the CRM")
    def owner(self, lead: Lead) -> str:
        """The owner's name (a rep, or a queue) with the CRM's id; "—" when unowned."""
        return owner_name(lead.organization_id, lead.owner_external_id, lead.connection_id) or "— (unowned)"

    @admin.display(description="CRM record", ordering="connection__integration__name")
    def provider(self, lead: Lead) -> str:
        return f"{lead.connection.integration.name} {lead.external_id}"

    @admin.display(description="routing")
    def routing(self, lead: Lead) -> str:
        return decision_text(_current(lead))

    @admin.display(description="write-back")
    def write_back(self, lead: Lead) -> str:
        return write_text(owner_write_of(_current(lead)))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        lead = self.get_object(request, object_id)
        extra = {
            "timeline": timeline(lead) if lead is not None else None,
            "waterfall": lead_waterfall(lead.pk) if lead is not None else None,
            "can_reprocess": lead is not None and self.has_reprocess_permission(request, lead),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(description="Reprocess: route again with the published rules", permissions=["reprocess"])
    def reprocess_leads(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        report(request, reprocess(queryset.select_related("connection"), request.user))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.reprocess_view)
        return [
            path("<path:object_id>/reprocess/", view, name="routing_leadjourney_reprocess"),
            *super().get_urls(),
        ]

    def reprocess_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        lead = get_object_or_404(self.get_queryset(request), pk=object_id)
        target = reverse("admin:routing_leadjourney_change", args=[lead.pk])
        if request.method != "POST":
            return HttpResponseRedirect(target)
        if not self.has_reprocess_permission(request, lead):
            raise PermissionDenied
        report(request, reprocess([lead], request.user))
        return HttpResponseRedirect(target)


def report(request: HttpRequest, result: Any) -> None:
    level = messages.WARNING if result.errors or not result.decided else messages.SUCCESS
    messages.add_message(request, level, f"{result}.")
    for error in result.errors:
        messages.error(request, f"Not reprocessed: {error}")
