"""Reps (capacity, weight, teams, hours, time off; KPI score read-only), their CRM identities,
teams, and "Sync reps from the CRM"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from crm_integrations.admin_scoping import OrganizationScopedAdmin, organization_ids
from crm_integrations.core.errors import CrmError
from crm_integrations.core.registry import UnknownProvider
from crm_integrations.models import ConnectionStatus, OrganizationIntegration
from field_mapping.models import Outcome as LeadOutcome

from ..models import Decision, DecisionOutcome, OutOfOffice, Rep, RepIdentity, Team
from ..reps_sync import sync_reps
from .display import EMPTY, score_text
from .forms import RepForm


class RepIdentityInline(admin.TabularInline):
    """How each CRM knows the rep: kept in line by the sync, never edited here."""

    model = RepIdentity
    extra = 0
    can_delete = False
    fields = ["connection", "external_id", "name", "email", "active_in_crm", "left_crm_at", "last_synced_at"]
    readonly_fields = fields
    verbose_name = "CRM identity"
    verbose_name_plural = "CRM identities (from the sync)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OutOfOfficeInline(admin.TabularInline):
    model = OutOfOffice
    extra = 0


def _open_load() -> Subquery:
    """A rep's open leads, as ``roster.open_loads`` counts them (for sorting the list)."""
    open_decisions = (
        Decision.objects.filter(rep=OuterRef("pk"), is_current=True, outcome=DecisionOutcome.ASSIGNED)
        .filter(Q(lead__status__isnull=True) | Q(lead__status=LeadOutcome.OPEN))
        .order_by()
        .values("rep")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(open_decisions, output_field=IntegerField()), 0)


@admin.register(Rep)
class RepAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "organization"
    form = RepForm
    # Six columns: fits 1366 px beside the navigation and the filters (email under the name,
    # capacity with the open leads, the score's parts on the rep's page).
    list_display = ["rep_name", "active", "team_names", "open_load", "kpi_score_short", "crm_identities"]
    list_filter = ["active", "teams", "organization"]
    search_fields = ["name", "email", "identities__external_id"]
    filter_horizontal = ["teams"]
    inlines = [RepIdentityInline, OutOfOfficeInline]
    fieldsets = [
        (None, {"fields": ["organization", "name", "email", "active"]}),
        ("Taking leads", {"fields": ["capacity", "open_load", "weight", "teams"]}),
        ("Availability", {"fields": ["working_hours", "time_zone"]}),
        ("KPI score", {"fields": ["kpi_score", "score_updated_at"]}),
    ]
    readonly_fields = ["open_load", "kpi_score", "score_updated_at"]
    actions = ["sync_from_crm"]
    change_list_template = "admin/routing/rep/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rep]:
        return (
            super()
            .get_queryset(request)
            .annotate(open_load_count=_open_load())
            .prefetch_related("teams", "identities__connection__integration")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Rep | None = None) -> list[str]:
        return [*self.readonly_fields, *(["organization"] if obj else [])]

    @admin.display(description="rep", ordering="name")
    def rep_name(self, rep: Rep) -> str:
        return format_html('{}<div class="quiet">{}</div>', rep, rep.email)

    @admin.display(description="KPI score", ordering="score")
    def kpi_score_short(self, rep: Rep) -> str:
        """The score; its parts on hover and on the rep's page."""
        return format_html('<span title="{}">{}</span>', score_text(rep), f"{rep.score:.2f}")

    @admin.display(description="teams")
    def team_names(self, rep: Rep) -> str:
        return ", ".join(team.name for team in rep.teams.all()) or EMPTY

    @admin.display(description="open leads / capacity", ordering="open_load_count")
    def open_load(self, rep: Rep) -> str:
        load = getattr(rep, "open_load_count", 0)
        return f"{load} / {rep.capacity}" if rep.capacity is not None else str(load)

    @admin.display(description="KPI score", ordering="score")
    def kpi_score(self, rep: Rep) -> str:
        return score_text(rep)

    @admin.display(description="CRM identities")
    def crm_identities(self, rep: Rep) -> str:
        rows = (
            (i.connection.integration.name, i.external_id, "" if i.active_in_crm else " (left)")
            for i in rep.identities.all()
        )
        return format_html_join(", ", "{} (owner {}){}", rows) or EMPTY

    @admin.action(
        description="Sync reps from the CRM (the selected reps' organizations)", permissions=["change"]
    )
    def sync_from_crm(self, request: HttpRequest, queryset: QuerySet[Rep]) -> None:
        organizations = set(queryset.values_list("organization_id", flat=True))
        sync_and_report(request, connected(organizations))

    def get_urls(self) -> list[URLPattern]:
        sync = self.admin_site.admin_view(self.sync_view)
        return [path("sync/", sync, name="routing_rep_sync"), *super().get_urls()]

    def sync_view(self, request: HttpRequest) -> HttpResponse:
        """Choose a connected CRM (or all) and read its owners/users into reps."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        connections = connected(organization_ids(request, administered=True))
        if request.method == "POST":
            chosen = request.POST.get("connection", "all")
            sync_and_report(request, [c for c in connections if chosen in ("all", str(c.pk))])
            return HttpResponseRedirect(reverse("admin:routing_rep_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Sync reps from the CRM",
            "connections": connections,
        }
        return render(request, "admin/routing/rep/sync.html", context)


def connected(organization_ids: Iterable[int] | None = None) -> list[OrganizationIntegration]:
    rows = OrganizationIntegration.objects.filter(status=ConnectionStatus.CONNECTED).select_related(
        "organization", "integration"
    )
    return list(rows if organization_ids is None else rows.filter(organization_id__in=organization_ids))


def sync_and_report(request: HttpRequest, connections: Iterable[OrganizationIntegration]) -> None:
    """``sync_reps`` on each connection, one message each (a CRM failure is an error message)."""
    done = False
    for connection in connections:
        done = True
        try:
            result = sync_reps(connection)
        except (CrmError, UnknownProvider) as error:
            messages.error(request, f"{connection}: the sync failed: {error}")
            continue
        messages.success(request, f"{connection}: {result}.")
    if not done:
        messages.warning(request, "No connected CRM to sync reps from.")


@admin.register(Team)
class TeamAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "organization"
    list_display = ["name", "organization", "auto_join", "member_count"]
    list_filter = ["organization", "auto_join"]
    search_fields = ["name"]
    fields = ["organization", "name", "auto_join", "members"]
    readonly_fields = ["members"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_total=Count("reps")).prefetch_related("reps")

    @admin.display(description="reps", ordering="member_total")
    def member_count(self, team: Team) -> int:
        return team.member_total

    @admin.display(description="members (set on each rep)")
    def members(self, team: Team) -> str:
        return ", ".join(str(rep) for rep in team.reps.all()) or EMPTY
