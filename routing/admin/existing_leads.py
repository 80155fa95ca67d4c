"""The "Existing leads" page (``/admin/existing-leads/``, config/urls.py): per connected CRM, count
the open, unowned leads of the last N days, see how the published rules would give them out, and
route them as a background job with its progress (routing/existing_leads.py does the work).

Members see it; an organization's administrators start, stop and resume runs.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from crm_integrations.models import ConnectionStatus, OrganizationIntegration
from crm_integrations.views.context import (
    administered_organization,
    administers,
    current_organization,
    page_context,
)

from .. import existing_leads
from ..existing_leads_preview import distribution
from ..models import ExistingLeadsRun, RunStatus
from ..tasks import count_existing_leads, route_existing_leads

REFRESH_SECONDS = 2
PAUSED_REFRESH_SECONDS = 60


def existing_leads_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _act(request)
    organization = current_organization(request)
    rows = []
    for connection in OrganizationIntegration.objects.filter(
        organization=organization, status=ConnectionStatus.CONNECTED
    ).select_related("integration"):
        run = ExistingLeadsRun.objects.filter(connection=connection).first()
        preview = (
            distribution(run) if run and run.status in (RunStatus.COUNTED, RunStatus.CANCELLED) else None
        )
        rows.append({"connection": connection, "run": run, "preview": preview})
    return render(
        request,
        "admin/routing/existing_leads.html",
        page_context(
            request,
            title="Existing leads",
            organization=organization,
            rows=rows,
            can_manage=administers(request, organization),
            default_days=existing_leads.DEFAULT_DAYS,
            refresh=_refresh([row["run"] for row in rows]),
        ),
    )


def _refresh(runs: list[ExistingLeadsRun | None]) -> int:
    """Seconds between reloads: often while a run works, rarely while every active one waits for the
    CRM's API allocation (routing/existing_leads.py), never when none is active."""
    active = [run for run in runs if run and run.active]
    if not active:
        return 0
    return PAUSED_REFRESH_SECONDS if all(run.paused_reason for run in active) else REFRESH_SECONDS


def _act(request: HttpRequest) -> HttpResponse:
    organization = administered_organization(request)
    action = request.POST.get("action", "")
    if action == "count":
        connection = get_object_or_404(
            OrganizationIntegration,
            pk=request.POST.get("connection"),
            organization=organization,
            status=ConnectionStatus.CONNECTED,
        )
        days = _days(request.POST.get("days"))
        run = existing_leads.start(connection=connection, days=days, user=request.user)
        transaction.on_commit(lambda: count_existing_leads.delay(run.pk))
        messages.info(request, f"Counting {connection.integration.name}'s leads of the last {run.days} days…")
    else:
        run = get_object_or_404(ExistingLeadsRun, pk=request.POST.get("run"), organization=organization)
        if action == "route":
            try:
                existing_leads.begin_routing(run)
            except ValueError as error:
                messages.error(request, str(error))
            else:
                transaction.on_commit(lambda: route_existing_leads.delay(run.pk))
                messages.info(request, f"Routing {run.to_route - run.decided} lead(s) in the background…")
        elif action == "cancel":
            existing_leads.cancel(run)
            messages.info(request, "Stopping after the current batch.")
    return redirect(reverse("existing_leads") + f"?organization={organization.pk}")


def _days(value: str | None) -> int:
    try:
        return int(value or existing_leads.DEFAULT_DAYS)
    except ValueError:
        return existing_leads.DEFAULT_DAYS
