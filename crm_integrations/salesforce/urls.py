"""Salesforce's own endpoints: ``api_urlpatterns`` are mounted under ``/api/v1/integrations/salesforce/``
(namespace ``salesforce_api``) by crm_integrations/urls.py through the provider
(``CrmProvider.api_urlpatterns``); its one staff page (``urlpatterns``, under ``/integrations/salesforce/``,
namespace ``salesforce``) chooses a connection's contract stages."""

from django.urls import path

from . import stage_views, views

urlpatterns = [
    path(
        "<uuid:connection_id>/contract-stages/",
        stage_views.choose_contract_stages,
        name="choose_contract_stages",
    ),
]
api_urlpatterns = [path("outbound", views.outbound_message, name="outbound")]
