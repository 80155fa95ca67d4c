"""The alert condition routing owns: owner write-backs failing above a threshold.

Registered with crm_integrations/alerts/conditions.py in ``RoutingConfig.ready`` (routing/apps.py),
because the owner write-backs are routing's rows and crm_integrations must not import them. Over
the write-backs created in the last ``WRITEBACK_WINDOW_MINUTES``: at least
``WRITEBACK_MIN_FAILURES`` failed (gave up, or wait for a retry) and they are at least
``WRITEBACK_FAILED_PERCENT`` of those that have been tried (pending ones are not counted yet).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse

from crm_integrations.alerts import conditions
from crm_integrations.models import IncidentKind, OrganizationIntegration

from .models import OwnerWrite, WriteStatus

FAILING = (WriteStatus.FAILED, WriteStatus.RETRYING)
TRIED = (*FAILING, WriteStatus.WRITTEN)


def writebacks_failing(connection: OrganizationIntegration, now: datetime) -> str | None:
    limits = settings.ALERTS
    window = int(limits["WRITEBACK_WINDOW_MINUTES"])
    counts = OwnerWrite.objects.filter(
        connection=connection, created_at__gte=now - timedelta(minutes=window)
    ).aggregate(
        failed=Count("pk", filter=Q(status__in=FAILING)),
        tried=Count("pk", filter=Q(status__in=TRIED)),
    )
    failed, tried = counts["failed"], counts["tried"]
    if failed < int(limits["WRITEBACK_MIN_FAILURES"]) or failed * 100 < tried * int(
        limits["WRITEBACK_FAILED_PERCENT"]
    ):
        return None
    return (
        f"{failed} of the {tried} owners written back to {connection.integration.name} in the last {window} "
        f"minutes failed ({failed * 100 // tried}%). Leads are routed, but the CRM does not show their owner."
    )


def _write_back_list(connection: OrganizationIntegration) -> tuple[str, str]:
    query = urlencode({"connection__id__exact": connection.pk, "status__exact": WriteStatus.FAILED})
    return "Open the failed write-backs", f"{reverse('admin:routing_ownerwrite_changelist')}?{query}"


def register() -> None:
    conditions.register(
        conditions.Condition(
            kind=IncidentKind.WRITEBACKS_FAILING,
            check=writebacks_failing,
            fix=_write_back_list,
            what_to_do="Open the failed write-backs to see the CRM's answer (permissions, a deleted owner).",
            resolved="Owners are written back again.",
        )
    )
