"""Mini CRM's one staff page: connect with an API key. Thin: ``connect`` does the work.

Mounted under ``/integrations/minicrm/`` (``urls``, through ``MiniCrmProvider.urlpatterns``); its
template is in this folder's ``templates/`` (crm_integrations/core/templates.py finds it).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from crm_integrations.core.environments import enabled_environment_choices
from crm_integrations.core.errors import CrmError
from crm_integrations.services import AccountAlreadyConnected
from crm_integrations.views.context import administered_organization, page_context

from . import config
from .connect import connect_with_api_key


class ApiKeyForm(forms.Form):
    environment = forms.ChoiceField(choices=enabled_environment_choices)
    api_key = forms.CharField(
        label="API key",
        widget=forms.PasswordInput(render_value=False),
        help_text="Mini CRM → Settings → API keys. Stored encrypted, never shown.",
    )


@staff_member_required
def connect(request: HttpRequest) -> HttpResponse:
    organization = administered_organization(request)
    form = ApiKeyForm(request.POST or None, initial={"environment": request.GET.get("environment")})
    if request.method == "POST" and form.is_valid():
        try:
            connection = connect_with_api_key(organization=organization, **form.cleaned_data)
        except AccountAlreadyConnected as error:
            messages.error(request, str(error))
        except CrmError as error:
            messages.error(request, f"{config.NAME} refused the key: {error.message}")
        else:
            account = connection.external_account_id
            messages.success(
                request, f"{config.NAME} connected (account {account}, {connection.environment})."
            )
            return redirect("crm_integrations:integrations")
    return render(
        request,
        "minicrm/connect.html",
        page_context(
            request, title=f"Connect {config.NAME} with an API key", organization=organization, form=form
        ),
    )
