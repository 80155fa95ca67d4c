"""What the contracts API accepts in its URL: the list's query parameters and the contract id in the
path, each checked before it reaches a query, so a bad one is a 400 naming it, never a 500.

An id larger than the database's integer column was a 500 (SQLite: "Python int too large to
convert to SQLite INTEGER"; PostgreSQL: "bigint out of range"), found by schemathesis
(tests/contracts/test_api_schemathesis.py); ids are checked against the primary key column's range
on the database in use.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import Model
from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from contracts.models import Contract, NegotiationStatus, SyncState
from crm_integrations.models import Organization

from .pagination import ContractPagination

EMPTY = "Must not be empty: leave the parameter out instead."
REPEATED = "Give this parameter once."
DIGITS = re.compile(r"[0-9]+")


def largest_id(model: type[Model]) -> int:
    """The largest value ``model``'s primary key column holds on the default database."""
    return connection.ops.integer_field_range(model._meta.pk.get_internal_type())[1]


class WholeNumberField(serializers.IntegerField):
    """A whole number from 1, in ASCII digits only.

    DRF's ``IntegerField`` also takes " 5" or "5.0"; ``ContractPagination`` reads ``page`` and
    ``page_size`` from the query string itself, and would answer 404 for a page "5.0", or fall back
    to the default size.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not DIGITS.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class SearchTextField(serializers.CharField):
    """Text to search for. Like any DRF ``CharField`` it refuses NUL characters (PostgreSQL cannot
    compare them: a 500 there); a class of its own so the schema can say so (``schema.py``)."""


def id_field(model: type[Model], **kwargs: Any) -> WholeNumberField:
    """An id of a ``model`` row: from 1 to the largest its primary key column holds."""
    return WholeNumberField(max_value=largest_id(model), **kwargs)


class ParametersSerializer(serializers.Serializer):
    """URL parameters checked as a request body is, with two rules of their own.

    DRF reads a ``QueryDict`` as an HTML form: a parameter given empty (``?sync_state=``) counts as
    not given, so the filter was silently dropped; here it is refused unless its field allows
    blank (``q``). A parameter given twice is refused too, rather than the last one winning.
    """

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if isinstance(data, QueryDict):
            repeated = (name for name, values in data.lists() if len(values) > 1 and name in self.fields)
            errors.update({name: [REPEATED] for name in repeated})
            data = data.dict()
        for name, value in data.items():
            field = self.fields.get(name)
            if value == "" and field is not None and not getattr(field, "allow_blank", False):
                errors[name] = [EMPTY]
        known = {name: value for name, value in data.items() if name in self.fields and name not in errors}
        try:
            validated = super().to_internal_value(known)
        except serializers.ValidationError as error:
            errors.update(error.detail)  # always by field: the serializer's own errors
        if errors:
            raise serializers.ValidationError(errors)
        return validated


def validated(serializer_class: type[ParametersSerializer], data: Any) -> dict[str, Any]:
    """The parameters in ``data``, checked by ``serializer_class``: a 400 naming each bad one."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ContractFilterSerializer(ParametersSerializer):
    """The list's query parameters; a value that is not one of the choices is a 400, not ignored.

    ``page`` and ``page_size`` are read by ``ContractPagination``; they are checked here so that a
    bad one is a 400 like any other parameter (DRF's paginator would fall back to the default size,
    or answer 404, for a page size or a page number that is not a number).
    """

    negotiation_status = serializers.ChoiceField(
        choices=NegotiationStatus.choices, required=False, help_text="Only contracts in this status"
    )
    sync_state = serializers.ChoiceField(
        choices=SyncState.choices, required=False, help_text="Only contracts in this sync state"
    )
    organization = id_field(
        Organization, required=False, help_text="Only this organization's contracts (its id)"
    )
    q = SearchTextField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=(
            "Text in the title, the counterparty or the CRM deal id (case-insensitive); "
            "empty matches every contract"
        ),
    )
    page = WholeNumberField(required=False, help_text="A page number (1, the default, is the first page)")
    page_size = WholeNumberField(
        required=False,
        help_text=(
            f"Contracts per page: {ContractPagination.page_size} by default, at most "
            f"{ContractPagination.max_page_size} (a larger number gives {ContractPagination.max_page_size})"
        ),
    )


class ContractPathSerializer(ParametersSerializer):
    """The contract id in ``/api/v1/contracts/<id>/`` (the URL takes any text there, so that this
    answers a bad one as a JSON 400, not Django's HTML 404 page)."""

    id = id_field(Contract)


def path_id_parameter(field: serializers.IntegerField, description: str) -> OpenApiParameter:
    """The schema of an id in the path, with the bounds its field checks (drf-spectacular reads
    only the URL converter, and the URL takes any text)."""
    bounds = {"type": "integer", "minimum": field.min_value, "maximum": field.max_value}
    return OpenApiParameter(field.field_name, bounds, OpenApiParameter.PATH, description=description)


CONTRACT_ID = path_id_parameter(ContractPathSerializer().fields["id"], "The contract's id")
