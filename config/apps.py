"""The admin app with the project's site (``crm_integrations/admin_site.py``) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class LeadRoutingAdminConfig(AdminConfig):
    default_site = "crm_integrations.admin_site.ScopedAdminSite"
