"""The connection's "Choose contract stages" page: which opportunity stages make contracts.

Thin: ``contract_stages`` does the work. Mounted under ``/integrations/salesforce/`` by
``SalesforceProvider.urlpatterns`` (crm_integrations/salesforce/urls.py); only the organization's
administrators reach it, and only for their own connection (``administered_organization``).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from crm_integrations.core.errors import CrmError
from crm_integrations.core.types import FieldOption
from crm_integrations.models import OrganizationIntegration
from crm_integrations.views.context import administered_organization, page_context

from .config import KEY
from .contract_stages import chosen_stages, stage_options, use_contract_stages

logger = logging.getLogger(__name__)


@staff_member_required
def choose_contract_stages(request: HttpRequest, connection_id: str) -> HttpResponse:
    organization = administered_organization(request)
    connection = get_object_or_404(
        OrganizationIntegration, pk=connection_id, organization=organization, integration__provider=KEY
    )
    options: list[FieldOption] = []
    try:
        options = stage_options(connection)
    except CrmError as error:
        logger.warning("Opportunity stages of connection %s not read: %s", connection.pk, error.message)
        messages.error(request, f"Salesforce did not list the opportunity stages: {error.message}")
    if request.method == "POST" and options:
        chosen = request.POST.getlist("stage")
        try:
            use_contract_stages(connection, chosen, options)
        except CrmError as error:
            messages.error(request, f"Those stages could not be used: {error.message}")
        else:
            names = ", ".join(option.label for option in options if option.value in chosen)
            messages.success(
                request,
                f"Opportunities reaching {names} now become contracts."
                if names
                else "No opportunity becomes a contract any more.",
            )
            return redirect("crm_integrations:integrations")
    return render(
        request,
        "salesforce/contract_stages.html",
        page_context(
            request,
            title="Choose the opportunity stages that make contracts",
            organization=organization,
            connection=connection,
            options=options,
            chosen=set(chosen_stages(connection)),
        ),
    )
