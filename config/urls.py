from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from contracts.api.authentication import API_AUTHENTICATION
from routing.admin.existing_leads import existing_leads_view

urlpatterns = [
    # Before the admin's own URLs, which end in a catch-all; a staff page like the admin's.
    path("admin/existing-leads/", admin.site.admin_view(existing_leads_view), name="existing_leads"),
    path("admin/", admin.site.urls),
    path(
        "api/v1/schema/", SpectacularAPIView.as_view(authentication_classes=API_AUTHENTICATION), name="schema"
    ),
    path("api/v1/contracts/", include("contracts.api.urls", namespace="contracts_api")),
    path("", include("crm_integrations.urls", namespace="crm_integrations")),
]
