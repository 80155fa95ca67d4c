"""drf-spectacular extensions for the contracts API (registered by importing this module, as
``views.py`` does) and the schema of its 400 answers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension


class ContractStatusUpdateSchema(OpenApiSerializerExtension):
    """The status PATCH requires its one field (an empty body is a 400), unlike a DRF partial
    update, which drf-spectacular documents with every field optional, and takes no other."""

    target_class = "contracts.api.serializers.ContractStatusUpdateSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        whole = self.target_class()  # not the partial copy drf-spectacular makes for PATCH
        schema = auto_schema._map_serializer(whole, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}  # any other field is a 400


class SearchTextSchema(OpenApiSerializerFieldExtension):
    """``SearchTextField`` refuses NUL characters (DRF's rule for every ``CharField``); the schema
    says so, as a pattern."""

    target_class = "contracts.api.parameters.SearchTextField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        # One character or more: drf-spectacular adds the empty text (allow_blank) as a oneOf.
        return {**schema, "pattern": "^[^\\u0000]+$"}


#: DRF's body for a 400: each bad field or parameter named with its messages (``non_field_errors``
#: for a body that is not an object), or ``detail`` alone for a body that could not be parsed.
BAD_REQUEST_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
