"""Staff pages: the CRM selection screen and the organization's integrations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from crm_integrations import selectors, services
from crm_integrations.connection_state import connection_states
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
            connections=connection_states(organization),
            can_manage=administers(request, organization),
        ),
    )


#: The field a confirmed disconnect posts (the confirmation page's button); anything else only asks.
CONFIRM_FIELD = "confirm"


@staff_member_required
def disconnect(request: HttpRequest, connection_id: str) -> HttpResponse:
    """Disconnect in two steps, like Django's delete confirmation: a GET, or a POST without
    ``confirm`` (the integrations page's button), shows what will stop; the POST from that page
    disconnects."""
    organization = administered_organization(request)
    connection = get_object_or_404(
        OrganizationIntegration.objects.select_related("integration"),
        pk=connection_id,
        organization=organization,
    )
    if request.method != "POST" or request.POST.get(CONFIRM_FIELD) != "yes":
        return render(
            request,
            "crm_integrations/disconnect.html",
            page_context(
                request,
                title=f"Disconnect {connection.integration.name}?",
                organization=organization,
                connection=connection,
                effects=selectors.disconnect_effects(connection),
            ),
        )
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
