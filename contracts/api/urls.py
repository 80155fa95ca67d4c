"""``/api/v1/contracts/`` (list) and ``/api/v1/contracts/<id>/`` (retrieve, PATCH the status)."""

from django.urls import path

from .views import ContractViewSet

app_name = "contracts_api"

urlpatterns = [
    path("", ContractViewSet.as_view({"get": "list"}), name="contract-list"),
    path(
        "<int:pk>/",
        ContractViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="contract-detail",
    ),
]
