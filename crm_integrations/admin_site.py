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
from django.http import HttpRequest
from django.template.response import TemplateResponse

from crm_integrations.admin_scoping import closed_unless_scoped


class ScopedAdminSite(admin.AdminSite):
    site_header = "Lead Routing"
    site_title = "Lead Routing admin"
    index_title = "Administration"

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        super().register(model_or_iterable, closed_unless_scoped(admin_class or admin.ModelAdmin), **options)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The CRMs one can connect, named on the "Connect a CRM" shortcut (templates/admin/index.html)."""
        # Imported here: this site is built (config/apps.py) before the models that selectors need.
        from crm_integrations.selectors import catalogue_names

        return super().index(request, {"crm_names": catalogue_names(), **(extra_context or {})})
