"""What crm_integrations keeps, and for how long (run by crm_integrations/pruning.py).

* Raw webhook bodies (``WEBHOOK_BODY_DAYS``): emptied, the delivery row stays with its size,
  digest and ``body_pruned_at``, so the debugger still lists it.
* Webhook deliveries (``WEBHOOK_DAYS``): deleted with their events. Never one still to be taken
  in (status received or queued, or a pending event), nor one whose event is the first sighting
  that a later delivery's duplicate points at (``duplicate_of`` is PROTECT): that one goes on a
  later run, once the duplicate has gone. Duplicates inside a batch are deleted first.
* Provider call records (``API_CALL_DAYS``): deleted only once rolled up
  (crm_integrations/rollups.py); the minute and hour rollups have their own retention.
* Webhook rollups (``HEALTH_ROLLUP_MINUTE_DAYS`` / ``HEALTH_ROLLUP_HOUR_DAYS``, outliving the
  deliveries) and circuit breaker transitions (``BREAKER_TRANSITION_DAYS``): the health page's.
* Trace spans kept in the database (``TRACE_DAYS``, crm_integrations/core/tracing/store.py):
  deleted with their links once older than that; the journey page then shows no waterfall.
* Resolved incidents (``INCIDENT_DAYS``, counted from their resolution): deleted with their
  notices; an open incident is never pruned (crm_integrations/alerts/).

Our own writes (``OwnWrite``) are not here: ``echoes.forget_old`` drops them after 15 minutes.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import pruning, rollups
from .models import (
    ApiCallRollup,
    BucketSize,
    CircuitBreakerTransition,
    DeliveryStatus,
    EventOutcome,
    Incident,
    ProviderApiCall,
    TraceSpan,
    WebhookDelivery,
    WebhookEvent,
    WebhookRollup,
)

#: A delivery in these states has not been taken in yet.
UNPROCESSED = (DeliveryStatus.RECEIVED, DeliveryStatus.QUEUED)


def _settled_deliveries(cutoff: datetime) -> pruning.Rows:
    return (
        WebhookDelivery.objects.filter(received_at__lt=cutoff)
        .exclude(status__in=UNPROCESSED)
        .exclude(events__outcome=EventOutcome.PENDING)
    )


def bodies_due(cutoff: datetime) -> pruning.Rows:
    return _settled_deliveries(cutoff).filter(body_pruned_at=None).exclude(body="")


def empty_bodies(rows: pruning.Rows) -> int:
    return rows.update(body="", body_pruned_at=timezone.now())


def deliveries_due(cutoff: datetime) -> pruning.Rows:
    copies_elsewhere = WebhookEvent.objects.filter(duplicate_of__delivery=OuterRef("pk")).exclude(
        delivery=OuterRef("pk")
    )
    return _settled_deliveries(cutoff).exclude(Exists(copies_elsewhere))


def delete_deliveries(rows: pruning.Rows) -> int:
    """Copies first: a first sighting cannot go while a copy in the same delivery points at it."""
    WebhookEvent.objects.filter(delivery__in=rows.values("pk"), duplicate_of__isnull=False).delete()
    return pruning.delete_rows(rows)


def api_calls_due(cutoff: datetime) -> pruning.Rows:
    rolled_up_until = rollups.rolled_up_until()
    if rolled_up_until is None:
        return ProviderApiCall.objects.none()
    return ProviderApiCall.objects.filter(created_at__lt=min(cutoff, rolled_up_until))


def spans_due(cutoff: datetime) -> pruning.Rows:
    return TraceSpan.objects.filter(started_at__lt=cutoff)


def incidents_due(cutoff: datetime) -> pruning.Rows:
    return Incident.objects.filter(resolved_at__lt=cutoff)


def _rollups_due(size: str, model: type = ApiCallRollup) -> pruning.Rows:
    def due(cutoff: datetime) -> pruning.Rows:
        return model.objects.filter(bucket_size=size, bucket_start__lt=cutoff)

    return due


def breaker_transitions_due(cutoff: datetime) -> pruning.Rows:
    return CircuitBreakerTransition.objects.filter(at__lt=cutoff)


pruning.register(
    pruning.RetentionPolicy(
        name="webhook_bodies",
        label="Raw webhook bodies",
        setting="WEBHOOK_BODY_DAYS",
        due=bodies_due,
        act=empty_bodies,
        verb="empty",
    ),
    pruning.RetentionPolicy(
        name="webhook_deliveries",
        label="Webhook deliveries and their events",
        setting="WEBHOOK_DAYS",
        due=deliveries_due,
        act=delete_deliveries,
    ),
    pruning.RetentionPolicy(
        name="api_calls",
        label="Provider call records (rolled up)",
        setting="API_CALL_DAYS",
        due=api_calls_due,
    ),
    pruning.RetentionPolicy(
        name="api_rollups_minute",
        label="Provider call rollups per minute",
        setting="API_ROLLUP_MINUTE_DAYS",
        due=_rollups_due(BucketSize.MINUTE),
    ),
    pruning.RetentionPolicy(
        name="api_rollups_hour",
        label="Provider call rollups per hour",
        setting="API_ROLLUP_HOUR_DAYS",
        due=_rollups_due(BucketSize.HOUR),
    ),
    pruning.RetentionPolicy(
        name="trace_spans",
        label="Trace spans (the lead journey's waterfall)",
        setting="TRACE_DAYS",
        due=spans_due,
    ),
    pruning.RetentionPolicy(
        name="incidents",
        label="Resolved incidents and their notices",
        setting="INCIDENT_DAYS",
        due=incidents_due,
    ),
    pruning.RetentionPolicy(
        name="webhook_rollups_minute",
        label="Webhook rollups per minute",
        setting="HEALTH_ROLLUP_MINUTE_DAYS",
        due=_rollups_due(BucketSize.MINUTE, WebhookRollup),
    ),
    pruning.RetentionPolicy(
        name="webhook_rollups_hour",
        label="Webhook rollups per hour",
        setting="HEALTH_ROLLUP_HOUR_DAYS",
        due=_rollups_due(BucketSize.HOUR, WebhookRollup),
    ),
    pruning.RetentionPolicy(
        name="breaker_transitions",
        label="Circuit breaker changes",
        setting="BREAKER_TRANSITION_DAYS",
        due=breaker_transitions_due,
    ),
)
