"""The admin site: every registration is organization-scoped or superuser-only.

``config/apps.py`` makes this the default ``admin.site``, so ``@admin.register`` and third-party
apps' own ``admin.py`` (auth, knox, django-celery-beat, django-axes...) register here, and an admin
that declares neither kind of ``crm_integrations/admin_scoping.py`` is closed to everyone but
superusers instead of showing every organization's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse

from crm_integrations.admin_nav import grouped
from crm_integrations.admin_scoping import closed_unless_scoped


class ScopedAdminSite(admin.AdminSite):
    site_header = "Lead Routing"
    site_title = "Lead Routing admin"
    index_title = "Home"
    # No public site besides the admin: no "View site" link (it led to a bare "Not Found").
    site_url = None

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        super().register(model_or_iterable, closed_unless_scoped(admin_class or admin.ModelAdmin), **options)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        """The home and the sidebar: models grouped by task (``crm_integrations/admin_nav.py``);
        an app's own index page (``/admin/<app>/``) keeps Django's list."""
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        return grouped(app_list, superuser=bool(getattr(request.user, "is_superuser", False)))

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The product home of the organization being worked on (templates/admin/index.html): its
        setup checklist, today's figures and its connections, from the apps' builders
        (``crm_integrations/home.py``); the organization switch is the integrations page's."""
        # Imported here: this site is built (config/apps.py) before the models that these need.
        from crm_integrations import home, selectors
        from crm_integrations.connection_state import connection_states
        from crm_integrations.views.context import current_organization

        context: dict[str, Any] = {"crm_names": selectors.catalogue_names()}
        try:
            organization = current_organization(request)
        except Http404:  # a superuser before the first organization exists
            organization = None
        if organization is not None:
            context |= {
                "organization": organization,
                "organizations": selectors.organizations_for_user(request.user),
                "connections": connection_states(organization),
                **home.home_context(request, organization),
            }
        return super().index(request, {**context, **(extra_context or {})})
