"""The provider health page (``/integrations/health/``): per connection, calls, errors by kind,
latency per endpoint, rate budget, daily API allocation (CRMs that meter one), breaker, token,
webhooks, lead timings and a verdict, read from rollups by crm_integrations/health_data.py. Charts
are drawn by static/crm_integrations/health.js (the vendored Chart.js), which polls the JSON endpoint
(crm_integrations/api/health.py) every 15 s.

A member sees the organization chosen (the switch, as on the integrations page); a superuser first
sees every organization, one section each with a line per connection (verdict and last hour), and
the charts once one is chosen with ``?organization=``.
"""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from crm_integrations import health, health_data

from .context import current_organization, page_context

POLL_SECONDS = 15


@staff_member_required
def provider_health(request: HttpRequest) -> HttpResponse:
    if request.user.is_superuser and not request.GET.get("organization"):
        return _every_organization(request)
    organization = current_organization(request)
    chosen = health_data.period(request.GET.get("period"))
    data = health_data.dashboard(
        health_data.connections_for(request.user, organization), period_key=chosen.key
    )
    query = f"?period={chosen.key}&organization={organization.pk}"
    return render(
        request,
        "crm_integrations/provider_health.html",
        page_context(
            request,
            title="Provider health",
            organization=organization,
            period=chosen,
            periods=health_data.PERIODS.values(),
            groups=health_data.by_organization(data),
            data=data,
            data_url=reverse("crm_integrations:health_api") + query,
            poll_seconds=POLL_SECONDS,
            allocation_warning=health.ALLOCATION_WARNING,
        ),
    )


def _every_organization(request: HttpRequest) -> HttpResponse:
    """A superuser's breakdown: per organization, each connection's verdict and last hour in one
    line, each linking to its organization's page with the charts."""
    data = health_data.summary(health_data.connections_for(request.user))
    return render(
        request,
        "crm_integrations/provider_health_all.html",
        page_context(request, title="Provider health", groups=health_data.by_organization(data), data=data),
    )
