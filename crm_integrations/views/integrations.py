"""Staff pages: the CRM selection screen and the organization's integrations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm_integrations import selectors, services
from crm_integrations.models import OrganizationIntegration

from .context import administered_organization, administers, current_organization, page_context


@staff_member_required
def select_crm(request: HttpRequest) -> HttpResponse:
    """Onboarding, step one: choose the CRM to connect."""
    organization = current_organization(request)
    return render(
        request,
        "crm_integrations/select_crm.html",
        page_context(
            request,
            title="Connect your CRM",
            organization=organization,
            choices=selectors.crm_choices(organization),
        ),
    )


@staff_member_required
def integrations(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    return render(
        request,
        "crm_integrations/integrations.html",
        page_context(
            request,
            title="Integrations",
            organization=organization,
            connections=selectors.connection_rows(organization),
            can_manage=administers(request, organization),
        ),
    )


@staff_member_required
@require_POST
def disconnect(request: HttpRequest, connection_id: str) -> HttpResponse:
    organization = administered_organization(request)
    connection = get_object_or_404(OrganizationIntegration, pk=connection_id, organization=organization)
    name = connection.integration.name
    revocation = services.disconnect_connection(connection)
    if revocation is services.Revocation.CONFIRMED:
        messages.success(request, f"{name} disconnected; {name} revoked our access.")
    elif revocation is services.Revocation.NOT_POSSIBLE:
        messages.warning(
            request,
            f"{name} disconnected here and its token deleted, but {name} offers no way to revoke it "
            f"from outside: uninstall the app (or regenerate the personal API token) in {name} as well.",
        )
    else:
        messages.warning(
            request,
            f"{name} disconnected here, but it did not confirm the revocation: "
            "remove the app in the CRM's settings as well.",
        )
    return redirect("crm_integrations:integrations")
