"""monday's own staff pages, mounted under ``/integrations/monday/`` (namespace ``monday``) by
crm_integrations/urls.py through the provider (``CrmProvider.urlpatterns``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("token/", views.connect_token, name="connect_token"),
    path("<uuid:connection_id>/board/", views.choose_board, name="choose_board"),
]
