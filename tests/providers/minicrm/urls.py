"""Mini CRM's staff pages (allauth style), mounted under ``/integrations/minicrm/`` in the namespace
``crm_integrations:minicrm`` by crm_integrations/urls.py through ``MiniCrmProvider.urlpatterns``."""

from django.urls import path

from . import views

urlpatterns = [path("connect/", views.connect, name="connect")]
