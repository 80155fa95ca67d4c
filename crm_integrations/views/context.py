"""What every staff page needs: the admin's look, and which organization the user is working on."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from crm_integrations import selectors
from crm_integrations.models import Membership, Organization

SESSION_ORGANIZATION = "current_organization_id"


def current_organization(request: HttpRequest) -> Organization:
    """The organization chosen by ``?organization=`` (remembered in the session), among the user's own."""
    organizations = selectors.organizations_for_user(request.user)
    wanted = request.GET.get("organization") or request.POST.get("organization")
    wanted = wanted or request.session.get(SESSION_ORGANIZATION)
    organization = organizations.filter(pk=wanted).first() if wanted else organizations.first()
    if organization is None:
        raise Http404("You do not belong to any organization.")
    request.session[SESSION_ORGANIZATION] = organization.pk
    return organization


def administered_organization(request: HttpRequest) -> Organization:
    """``current_organization`` for the pages that change it (connect, choose a board, disconnect):
    only its administrators (or a superuser) may; a member is refused (403)."""
    organization = current_organization(request)
    if not administers(request, organization):
        raise PermissionDenied("Only the organization's administrators can connect or disconnect a CRM.")
    return organization


def administers(request: HttpRequest, organization: Organization) -> bool:
    """Whether the user may connect and disconnect the organization's CRMs (its pages offer the
    buttons only then)."""
    administered = selectors.organizations_for_user(request.user, role=Membership.Role.ADMIN)
    return administered.filter(pk=organization.pk).exists()


def page_context(request: HttpRequest, *, title: str, **extra: Any) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": title,
        "organizations": selectors.organizations_for_user(request.user),
        **extra,
    }
