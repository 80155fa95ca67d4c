"""Services: outcomes coming back from the CRM (status changes through the status mapping, owner
changes) — recorded in the journey and fed into the reps' KPI scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Count, F, Q
from django.utils import timezone

from field_mapping.models import Outcome as LeadOutcome
from field_mapping.signals import LeadChange

from . import journey
from .engine import kpi_score
from .engine.types import KpiWeights, RepOutcomes
from .models import Decision, DecisionOutcome, JourneyKind, Rep, RoutingPolicy

#: Recent first-status-change times a rep's speed is measured on.
SPEED_SAMPLE = 50


def record_changes(changes: Sequence[LeadChange]) -> None:
    """Journey entries for status/owner changes, first-change times, and the affected reps' scores."""
    changed = [change for change in changes if change.status_changed or change.owner_changed]
    if not changed:
        return
    current = {
        d.lead_id: d
        for d in Decision.objects.filter(
            lead__in=[c.lead for c in changed], is_current=True, outcome=DecisionOutcome.ASSIGNED
        )
    }
    events, reps = [], set()
    now = timezone.now()
    for change in changed:
        lead, decision = change.lead, current.get(change.lead.pk)
        if change.status_changed:
            events.append(
                journey.event(
                    lead,
                    JourneyKind.STATUS,
                    f"status {change.previous_status or 'none'} → {lead.status or 'none'}",
                    {"from": change.previous_status, "to": lead.status},
                    decision,
                )
            )
            if decision is not None:
                reps.add(decision.rep_id)
                if decision.first_status_change_at is None:
                    Decision.objects.filter(pk=decision.pk).update(first_status_change_at=now)
        if change.owner_changed:
            events.append(
                journey.event(
                    lead,
                    JourneyKind.OWNER,
                    f"owner in the CRM {change.previous_owner or 'none'} → "
                    f"{lead.owner_external_id or 'none'}",
                    {"from": change.previous_owner, "to": lead.owner_external_id},
                    decision,
                )
            )
    journey.record(events)
    refresh_scores(reps)


def weights_for(organization_id: int) -> KpiWeights:
    policy = RoutingPolicy.objects.filter(organization_id=organization_id).first()
    if policy is None:
        return KpiWeights()
    return KpiWeights(
        win_rate=policy.kpi_win_rate_weight, load=policy.kpi_load_weight, speed=policy.kpi_speed_weight
    )


def rep_outcomes(rep: Rep) -> RepOutcomes:
    assigned = Decision.objects.filter(rep=rep, is_current=True, outcome=DecisionOutcome.ASSIGNED)
    counts = assigned.aggregate(
        won=Count("id", filter=Q(lead__status=LeadOutcome.WON)),
        lost=Count("id", filter=Q(lead__status=LeadOutcome.LOST)),
        excluded=Count("id", filter=Q(lead__status=LeadOutcome.EXCLUDED)),
        open=Count("id", filter=Q(lead__status__isnull=True) | Q(lead__status=LeadOutcome.OPEN)),
    )
    speeds = (
        assigned.filter(first_status_change_at__isnull=False)
        .annotate(took=F("first_status_change_at") - F("decided_at"))
        .order_by("-decided_at")
        .values_list("took", flat=True)[:SPEED_SAMPLE]
    )
    return RepOutcomes(
        capacity=rep.capacity,
        seconds_to_first_change=tuple(max(took.total_seconds(), 0.0) for took in speeds),
        **counts,
    )


def refresh_scores(rep_ids: Iterable[int | None]) -> None:
    """Recompute and store the KPI score (with its parts) of these reps."""
    for rep in Rep.objects.filter(pk__in=[rep_id for rep_id in rep_ids if rep_id]):
        outcomes = rep_outcomes(rep)
        score = kpi_score(outcomes, weights_for(rep.organization_id))
        rep.score = score.score
        rep.score_parts = {
            **dict(score.parts),
            "won": outcomes.won,
            "lost": outcomes.lost,
            "excluded": outcomes.excluded,
            "open": outcomes.open,
            "speed_samples": len(outcomes.seconds_to_first_change),
        }
        rep.score_updated_at = timezone.now()
        rep.save(update_fields=["score", "score_parts", "score_updated_at"])
