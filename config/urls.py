from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from contracts.api.authentication import API_AUTHENTICATION

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "api/v1/schema/", SpectacularAPIView.as_view(authentication_classes=API_AUTHENTICATION), name="schema"
    ),
    path("api/v1/contracts/", include("contracts.api.urls", namespace="contracts_api")),
    path("", include("crm_integrations.urls", namespace="crm_integrations")),
]
