"""``GET /api/v1/health/``: the provider health page's data as JSON (crm_integrations/health_data.py),
for the page's own polling and for operators' tools. Staff only; each caller sees the connections of
their organizations (a superuser: all), narrowed by ``?organization=``; an organization that is not
theirs gives an empty list, not its data. Documented in the OpenAPI schema (``/api/v1/schema/``) and
docs/operations.md.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.http import QueryDict
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm_integrations import health_data
from crm_integrations.models import Organization

DIGITS = re.compile(r"[0-9]+")


class HealthParameters(serializers.Serializer):
    """The query string, checked before it reaches a query: a bad value is a 400 naming it."""

    period = serializers.ChoiceField(choices=list(health_data.PERIODS), default="hour")
    organization = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=connection.ops.integer_field_range(Organization._meta.pk.get_internal_type())[1],
        help_text="Only this organization (one of yours); another's gives an empty list",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, QueryDict):
            repeated = {
                name: ["Give this parameter once."] for name, values in data.lists() if len(values) > 1
            }
            if repeated:
                raise serializers.ValidationError(repeated)
            data = data.dict()
        if "organization" in data and not DIGITS.fullmatch(str(data["organization"])):
            raise serializers.ValidationError({"organization": ["A whole number from 1."]})
        if data.get("period") == "":
            raise serializers.ValidationError({"period": ["Must not be empty: leave it out instead."]})
        return super().to_internal_value(data)


CONNECTION_FIELDS = {
    "id": serializers.UUIDField(),
    "organization": serializers.DictField(help_text="`id` and `name`"),
    "provider": serializers.CharField(),
    "provider_name": serializers.CharField(),
    "environment": serializers.CharField(),
    "account": serializers.CharField(),
    "status": serializers.CharField(help_text="The connection's status, in words"),
    "verdict": serializers.DictField(help_text="`level` (healthy, degraded, failing), `label`, `reason`"),
    "calls_per_minute": serializers.ListField(child=serializers.FloatField(), help_text="One per label"),
    "calls_total": serializers.IntegerField(),
    "errors": serializers.DictField(help_text="Failed attempts per kind (a label), one count per label"),
    "error_totals": serializers.DictField(),
    "endpoints": serializers.ListField(
        child=serializers.DictField(),
        help_text="method, endpoint template, calls, errors, p50_ms, p95_ms, max_ms",
    ),
    "budget": serializers.DictField(help_text="label, share per label (1 = all), peak, queued, queued_share"),
    "allocation": serializers.DictField(
        allow_null=True,
        help_text=(
            "The CRM's daily API allocation as it last reported it (null for CRMs that meter no day): "
            "used, allocation, share (1 = all), seen_at, pause_share (backfills stop there), "
            "non_urgent_paused, summary and pause_note (in words)"
        ),
    ),
    "breaker": serializers.DictField(help_text="state, opened_at, transitions (at, from, to)"),
    "token": serializers.DictField(
        help_text="expires_at, last_refreshed_at, auth_failures, needs_reconnection, reason"
    ),
    "webhooks": serializers.DictField(
        help_text="per_minute, deliveries, refused, duplicates, intake_lag_p50_ms, intake_lag_p95_ms"
    ),
    "leads": serializers.DictField(
        help_text="owners_written, to_owner_p50_ms, to_owner_p95_ms, writes_pending, writes_failed"
    ),
}
HEALTH = inline_serializer(
    "ProviderHealth",
    {
        "period": serializers.ChoiceField(choices=list(health_data.PERIODS)),
        "period_label": serializers.CharField(),
        "generated_at": serializers.DateTimeField(),
        "labels": serializers.ListField(child=serializers.DateTimeField(), help_text="Start of each point"),
        "connections": inline_serializer("ConnectionHealth", CONNECTION_FIELDS, many=True),
    },
)


class ProviderHealthView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="provider_health",
        summary="Provider health per connection",
        description=(
            "Per connection of your organizations (a superuser: all) over the last hour (per minute), "
            "day or week (per hour): API calls, failed calls by kind, latency per endpoint template, "
            "rate budget used, daily API allocation, circuit breaker, token, webhook deliveries, intake "
            "lag, write-backs and a verdict. Staff only. Read from rollups, so at most a minute behind."
        ),
        parameters=[HealthParameters],
        responses={
            200: HEALTH,
            400: OpenApiResponse(description="A parameter that is not valid, named with what is wrong."),
            401: OpenApiResponse(description="No valid session or token."),
            403: OpenApiResponse(description="Not a staff member."),
        },
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        parameters = HealthParameters(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        chosen = parameters.validated_data
        connections = health_data.connections_for(request.user, chosen.get("organization"))
        return Response(health_data.dashboard(connections, period_key=chosen["period"]))
