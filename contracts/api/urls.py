"""``/api/v1/contracts/`` (list) and ``/api/v1/contracts/<id>/`` (retrieve, PATCH the status)."""

from django.urls import path

from .views import ContractViewSet

app_name = "contracts_api"

urlpatterns = [
    path("", ContractViewSet.as_view({"get": "list"}), name="contract-list"),
    path(
        "<str:pk>/",  # any text: ContractViewSet.get_object answers a bad id with a JSON 400
        ContractViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="contract-detail",
    ),
]
