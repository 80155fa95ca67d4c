"""drf-spectacular extensions for the contracts API (registered by importing this module)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension


class ContractStatusUpdateSchema(OpenApiSerializerExtension):
    """The status PATCH requires its one field (an empty body is a 400), unlike a DRF partial
    update, which drf-spectacular documents with every field optional."""

    target_class = "contracts.api.serializers.ContractStatusUpdateSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        whole = self.target_class()  # not the partial copy drf-spectacular makes for PATCH
        return auto_schema._map_serializer(whole, direction, bypass_extensions=True)
