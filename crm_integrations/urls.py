from django.urls import path

from crm_integrations import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
