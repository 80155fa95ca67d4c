"""The contracts API views: thin over ``contracts_for_user`` (reads) and ``contract_status_set``
(the one write)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.models import Contract
from contracts.selectors import contracts_for_user
from contracts.services import contract_status_set

from .authentication import API_AUTHENTICATION
from .pagination import ContractPagination
from .parameters import CONTRACT_ID, ContractFilterSerializer, ContractPathSerializer, validated
from .permissions import IsOrganizationMember
from .schema import BAD_REQUEST_BODY  # and registers the schema extensions
from .serializers import ContractSerializer, ContractStatusUpdateSerializer, ErrorSerializer

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such contract in your organizations.")
NOT_ALLOWED = OpenApiResponse(
    ErrorSerializer, description="Not a superuser or a member of any organization (or a CSRF failure)."
)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid session or token.")
ACCESS = {401: NOT_AUTHENTICATED, 403: NOT_ALLOWED}
BAD_ID = OpenApiResponse(
    BAD_REQUEST_BODY, description="The id is not a whole number in range (`id` says why)."
)


@extend_schema_view(
    list=extend_schema(
        summary="List contracts",
        description="The contracts of your organizations (a superuser: all), newest first, paginated.",
        parameters=[ContractFilterSerializer],
        responses={
            200: ContractSerializer(many=True),
            400: OpenApiResponse(
                BAD_REQUEST_BODY,
                description=(
                    "A parameter that is not valid, named with what is wrong: a value that is not "
                    "one of the choices or not a whole number in range, an empty value (except "
                    "`q`), or a parameter given twice."
                ),
            ),
            **ACCESS,
            404: OpenApiResponse(ErrorSerializer, description="No such page (past the last one)."),
        },
    ),
    retrieve=extend_schema(
        summary="Get a contract",
        description="One contract of your organizations, with its files.",
        parameters=[CONTRACT_ID],
        responses={200: ContractSerializer, 400: BAD_ID, **ACCESS, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Set a contract's negotiation status",
        description=(
            "Only `negotiation_status` can be sent; any other field is refused with 400. Setting "
            "the status the contract already has changes nothing. A change is written to the CRM "
            "deal after the request (see `in_sync`, `sync_state` and `sync_detail`). Any member of "
            "the contract's organization may set it."
        ),
        parameters=[CONTRACT_ID],
        request=ContractStatusUpdateSerializer,
        responses={
            200: ContractSerializer,
            400: OpenApiResponse(
                BAD_REQUEST_BODY,
                description=(
                    "Not a negotiation status, a field that cannot change, a body that is not "
                    "JSON or form data (`detail`), or an id that is not valid (`id`)."
                ),
            ),
            **ACCESS,
            404: NOT_FOUND,
        },
    ),
)
@extend_schema(tags=["contracts"])
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts of the caller's organizations: read them, and set their negotiation status.

    Authentication: ``API_AUTHENTICATION`` (an API token or the staff session). Who may do what:
    ``IsOrganizationMember``. Every URL parameter is checked first (``parameters.py``): a bad one
    is a 400 naming it.
    """

    serializer_class = ContractSerializer
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsOrganizationMember]
    pagination_class = ContractPagination
    queryset = Contract.objects.none()  # the model, for the schema; get_queryset scopes to the caller

    def get_queryset(self) -> QuerySet[Contract]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Contract.objects.none()
        filters = self._list_filters() if self.action == "list" else {}
        return contracts_for_user(self.request.user, **filters).defer("deal_snapshot")

    def get_object(self) -> Contract:
        pk = self.kwargs[self.lookup_field]
        self.kwargs[self.lookup_field] = validated(ContractPathSerializer, {"id": pk})["id"]
        return super().get_object()

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
        """The filters for ``contracts_for_user``; ``page`` and ``page_size`` are checked here too,
        and then read by ``ContractPagination``."""
        parameters = validated(ContractFilterSerializer, self.request.query_params)
        paging = {ContractPagination.page_query_param, ContractPagination.page_size_query_param}
        return {name: value for name, value in parameters.items() if name not in paging}
