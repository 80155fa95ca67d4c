"""What the contracts API shows and accepts.

A contract is shown without its deal snapshot (it holds whatever the CRM returned) and its files
without their storage path or URL: the API describes files, it does not serve them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from contracts.models import Contract, ContractFile, NegotiationStatus


class ContractFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractFile
        fields = ["id", "name", "content_type", "size", "checksum", "state", "state_reason"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    in_sync = serializers.BooleanField(
        source="status_in_sync",
        read_only=True,
        help_text="Whether the current negotiation status has been written to the CRM deal",
    )
    files = ContractFileSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "organization",
            "provider",
            "external_id",
            "title",
            "counterparty",
            "amount",
            "currency",
            "negotiation_status",
            "status_changed_at",
            "status_changed_by",
            "sync_state",
            "sync_detail",
            "last_synced_at",
            "in_sync",
            "files",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


NEGOTIATION_STATUSES = ", ".join(NegotiationStatus.values)


class ContractStatusUpdateSerializer(serializers.Serializer):
    """The one change the API makes to a contract. Any other field is refused (400), never ignored,
    so a client that believes it changed a title learns it did not."""

    #: Sent by HTML forms along with the fields; not a field of the contract.
    IGNORED = frozenset({"csrfmiddlewaretoken"})

    negotiation_status = serializers.ChoiceField(
        choices=NegotiationStatus.choices,
        error_messages={
            "invalid_choice": f"“{{input}}” is not a negotiation status; use one of: {NEGOTIATION_STATUSES}."
        },
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        value: dict[str, Any] = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors.update(error.detail)  # always by field: the serializer's own errors
        if isinstance(data, Mapping):
            for name in sorted(set(data) - set(self.fields) - self.IGNORED):
                errors[name] = ["Cannot be changed through the API: only negotiation_status can."]
        if errors:
            raise serializers.ValidationError(errors)
        return value


class ErrorSerializer(serializers.Serializer):
    """DRF's error body for 401, 403 and 404 (for the schema)."""

    detail = serializers.CharField()
