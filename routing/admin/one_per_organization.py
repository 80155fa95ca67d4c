""" "Add" for the models an organization has one of (its rule set, its routing policy): offered
only while one of the user's administered organizations has none, so the admin never offers a
page that then refuses with "already exists"."""

from __future__ import annotations

from django.http import HttpRequest

from crm_integrations.admin_scoping import organization_ids
from crm_integrations.models import Organization


def some_organization_lacks(request: HttpRequest, related_name: str) -> bool:
    """Whether an organization the user administers has no ``related_name`` row yet."""
    ids = organization_ids(request, administered=True)
    without = Organization.objects.filter(**{f"{related_name}__isnull": True})
    return (without if ids is None else without.filter(pk__in=ids)).exists()
