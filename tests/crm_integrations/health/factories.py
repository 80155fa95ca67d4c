"""Call records and connections for the provider health tests (and the benchmark's small test)."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_integrations.models import ProviderApiCall
from crm_integrations.services import upsert_organization_integration

ENDPOINT = "/crm/v3/objects/{objectType}/{objectId}"


def connection(organization, account: str = "12345", provider: str = "hubspot", **fields):
    return upsert_organization_integration(
        organization,
        provider,
        "production",
        **{"status": "connected", "external_account_id": account, **fields},
    )


def calls(at: datetime, codes: list[int | None], *, account: str = "12345", latency: int = 100, **fields):
    """One call per code, a second apart from ``at``; None is a timeout."""
    rows = [
        ProviderApiCall(
            provider="hubspot",
            account=account,
            method="GET",
            endpoint=fields.get("endpoint", ENDPOINT),
            status_code=code,
            error_kind="" if code and code < 400 else ("timeout" if code is None else "http_error"),
            latency_ms=latency + i,
            units=fields.get("units", 1),
            queued_ms=fields.get("queued_ms", 0),
            created_at=at + timedelta(seconds=i),
        )
        for i, code in enumerate(codes)
    ]
    return ProviderApiCall.objects.bulk_create(rows)
