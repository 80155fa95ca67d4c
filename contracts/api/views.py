"""The contracts API views: thin over ``contracts_for_user`` (reads) and ``contract_status_set``
(the one write)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from knox.auth import TokenAuthentication
from rest_framework import mixins, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.models import Contract
from contracts.selectors import contracts_for_user
from contracts.services import contract_status_set

from . import schema  # noqa: F401  (registers the schema extension)
from .pagination import ContractPagination
from .permissions import IsOrganizationMember
from .serializers import (
    ContractFilterSerializer,
    ContractSerializer,
    ContractStatusUpdateSerializer,
    ErrorSerializer,
)

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such contract in your organizations.")
NOT_ALLOWED = OpenApiResponse(
    ErrorSerializer, description="Not a superuser or a member of any organization (or a CSRF failure)."
)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid session or token.")
ACCESS = {401: NOT_AUTHENTICATED, 403: NOT_ALLOWED}


@extend_schema_view(
    list=extend_schema(
        summary="List contracts",
        description="The contracts of your organizations (a superuser: all), newest first, paginated.",
        parameters=[ContractFilterSerializer],
        responses={200: ContractSerializer(many=True), 400: OpenApiTypes.OBJECT, **ACCESS},
    ),
    retrieve=extend_schema(
        summary="Get a contract",
        description="One contract of your organizations, with its files.",
        responses={200: ContractSerializer, **ACCESS, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Set a contract's negotiation status",
        description=(
            "Only `negotiation_status` can be sent; any other field is refused with 400. Setting "
            "the status the contract already has changes nothing. A change is written to the CRM "
            "deal after the request (see `in_sync`, `sync_state` and `sync_detail`). Any member of "
            "the contract's organization may set it."
        ),
        request=ContractStatusUpdateSerializer,
        responses={
            200: ContractSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description="Not a negotiation status, or a field that cannot change."
            ),
            **ACCESS,
            404: NOT_FOUND,
        },
    ),
)
@extend_schema(tags=["contracts"])
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts of the caller's organizations: read them, and set their negotiation status.

    Authentication: an API token (``Authorization: Token <token>``, django-rest-knox, for API
    clients) or the staff session (whose writes need the CSRF token, DRF's rule). Who may do
    what: ``IsOrganizationMember``.
    """

    serializer_class = ContractSerializer
    authentication_classes = [TokenAuthentication, SessionAuthentication]  # token first: 401s say "Token"
    permission_classes = [IsOrganizationMember]
    pagination_class = ContractPagination
    queryset = Contract.objects.none()  # the model, for the schema; get_queryset scopes to the caller

    def get_queryset(self) -> QuerySet[Contract]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Contract.objects.none()
        filters = self._list_filters() if self.action == "list" else {}
        return contracts_for_user(self.request.user, **filters).defer("deal_snapshot")

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        change = ContractStatusUpdateSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        try:
            stored = contract_status_set(
                contract, change.validated_data["negotiation_status"], by=f"api:{request.user.get_username()}"
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(self.get_serializer(stored).data)

    def _list_filters(self) -> dict[str, Any]:
        filters = ContractFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return dict(filters.validated_data)
