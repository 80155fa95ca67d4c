"""Service: open and resolve incidents from the registered conditions (run each minute by beat).

Idempotent: a problem already open is only touched (``last_seen_at``, ``details``); a problem
still absent changes nothing. Opening relies on the database constraint (one open incident per
connection and kind), so two evaluations at once open it once; resolving is a conditional
UPDATE, so it is resolved (and announced) once. The notices are written in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_integrations.models import ConnectionStatus, Incident, NoticeEvent, OrganizationIntegration

from . import conditions, notices

#: Connections whose problems are looked for; a disconnected (or never finished) one has none.
WATCHED = (ConnectionStatus.CONNECTED, ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.ERROR)


def evaluate(*, now: datetime | None = None) -> dict[str, int]:
    """Every condition on every connection; how many incidents were opened, kept and resolved."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    open_incidents = {(row.connection_id, row.kind): row for row in Incident.objects.filter(resolved_at=None)}
    connections = OrganizationIntegration.objects.select_related("organization", "integration")
    for connection in connections:
        watched = connection.status in WATCHED
        for condition in conditions.all_conditions():
            details = condition.check(connection, now) if watched else None
            incident = open_incidents.get((connection.pk, condition.kind))
            if details and incident is None:
                counts["opened"] += _open(connection, condition.kind, details, now)
            elif details and incident is not None:
                Incident.objects.filter(pk=incident.pk).update(last_seen_at=now, details=details)
                counts["open"] += 1
            elif incident is not None:
                reason = condition.resolved if watched else "The connection was disconnected."
                counts["resolved"] += resolve(incident, reason, now=now)
    return dict(counts)


def _open(connection: OrganizationIntegration, kind: str, details: str, now: datetime) -> int:
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                organization_id=connection.organization_id,
                connection=connection,
                kind=kind,
                opened_at=now,
                last_seen_at=now,
                details=details,
            )
            notices.queue(incident, NoticeEvent.OPENED)
    except IntegrityError:  # another evaluation opened it a moment ago
        return 0
    return 1


def resolve(incident: Incident, reason: str, *, now: datetime | None = None) -> int:
    """Resolve ``incident`` (once, whoever calls) and queue its "resolved" notices; 1 if this call did."""
    now = now or timezone.now()
    with transaction.atomic():
        done = Incident.objects.filter(pk=incident.pk, resolved_at=None).update(
            resolved_at=now, resolution=reason
        )
        if done:
            notices.queue(incident, NoticeEvent.RESOLVED)
    return done
