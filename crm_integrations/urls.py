from django.urls import include, path

from crm_integrations.api.health import ProviderHealthView
from crm_integrations.core import registry
from crm_integrations.intake import views as intake_views
from crm_integrations.views import health, integrations, metrics, oauth, provider_health

app_name = "crm_integrations"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("integrations/", integrations.integrations, name="integrations"),
    path("integrations/health/", provider_health.provider_health, name="provider_health"),
    path("api/v1/health/", ProviderHealthView.as_view(), name="health_api"),
    path("integrations/connect/", integrations.select_crm, name="select_crm"),
    path("integrations/<uuid:connection_id>/disconnect/", integrations.disconnect, name="disconnect"),
    path("api/v1/integrations/<slug:provider>/auth", oauth.authorize, name="oauth_authorize"),
    path("api/v1/integrations/<slug:provider>/callback", oauth.callback, name="oauth_callback"),
    path("api/v1/integrations/<slug:provider>/events", intake_views.events, name="webhook_events"),
    path("api/v1/integrations/<slug:provider>/webhook", intake_views.workflow, name="workflow_webhook"),
]
# Each provider's own staff pages (monday's API-token form and board choice...), from the registry.
urlpatterns += [
    path(f"integrations/{key}/", include((registry.get_provider(key).urlpatterns(), key)))
    for key in registry.registered_keys()
]
# Endpoints a CRM calls besides the shared ones above (Salesforce's Outbound Messages).
urlpatterns += [
    path(f"api/v1/integrations/{key}/", include((registry.get_provider(key).api_urlpatterns(), f"{key}_api")))
    for key in registry.registered_keys()
    if registry.get_provider(key).api_urlpatterns()
]
