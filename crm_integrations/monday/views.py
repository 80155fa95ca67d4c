"""monday's own staff pages: connect with a personal API token, and choose the board that holds the leads.

Thin: ``connect`` does the work. Mounted under ``/integrations/monday/`` by ``MondayProvider.urlpatterns``.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from crm_integrations.core.environments import enabled_environment_choices
from crm_integrations.core.errors import CrmError
from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import AccountAlreadyConnected
from crm_integrations.views.context import administered_organization, page_context

from .client import MondayClient
from .connect import connect_with_api_token, use_lead_board

logger = logging.getLogger(__name__)


class ApiTokenForm(forms.Form):
    environment = forms.ChoiceField(choices=enabled_environment_choices)
    api_token = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        help_text="monday → your avatar → Developers → My access tokens. Stored encrypted, never shown.",
        label="API token",
    )
    board_id = forms.RegexField(
        regex=r"^\d+$", help_text="The number in the board's URL: …/boards/<board id>", label="Lead board ID"
    )


@staff_member_required
def connect_token(request: HttpRequest) -> HttpResponse:
    organization = administered_organization(request)
    form = ApiTokenForm(request.POST or None, initial={"environment": request.GET.get("environment")})
    if request.method == "POST" and form.is_valid():
        try:
            connect_with_api_token(organization=organization, **form.cleaned_data)
        except AccountAlreadyConnected as error:
            messages.error(request, str(error))
        except CrmError as error:
            logger.warning("monday API-token connection for %s failed: %s", organization.pk, error.message)
            messages.error(request, f"monday refused the token: {error.message}")
        else:
            messages.success(
                request, "Monday.com connected with an API token; its board is polled for leads."
            )
            return redirect("crm_integrations:integrations")
    return render(
        request,
        "monday/token.html",
        page_context(
            request, title="Connect Monday.com with an API token", organization=organization, form=form
        ),
    )


@staff_member_required
def choose_board(request: HttpRequest, connection_id: str) -> HttpResponse:
    organization = administered_organization(request)
    connection = get_object_or_404(
        OrganizationIntegration, pk=connection_id, organization=organization, integration__provider="monday"
    )
    if request.method == "POST":
        try:
            created = use_lead_board(connection, request.POST.get("board_id", ""))
        except CrmError as error:
            messages.error(request, f"That board could not be used: {error.message}")
        else:
            hooks = f" and {len(created)} webhook(s) subscribed" if created else ""
            messages.success(request, f"Leads now come from board {request.POST['board_id']}{hooks}.")
            return redirect("crm_integrations:integrations")
    try:
        boards = MondayClient(connection).list_boards()
    except CrmError as error:
        messages.error(request, f"monday did not list the boards: {error.message}")
        boards = []
    current = (connection.settings or {}).get("board_id", "")
    return render(
        request,
        "monday/board.html",
        page_context(
            request,
            title="Choose the monday board that holds the leads",
            organization=organization,
            connection=connection,
            boards=boards,
            current=current,
        ),
    )
