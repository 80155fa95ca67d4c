"""Services run by the beat: SLA re-routing, retrying leads nobody could take, and routing leads
whose routing was missed (e.g. it failed after the intake stored them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from crm_integrations.models import ConnectionStatus, OrganizationIntegration
from field_mapping.models import Lead
from field_mapping.models import Outcome as LeadOutcome

from .assign import route_leads
from .models import Decision, DecisionOutcome, DecisionTrigger, RoutingPolicy
from .routable import is_routable

#: Re-routes after an SLA breach, per lead, before it is left with its last rep.
MAX_SLA_REROUTES = 2
RETRY_NOBODY_AFTER = timedelta(minutes=5)
MISSED_WINDOW = timedelta(hours=1)
MISSED_GRACE = timedelta(minutes=2)
OPEN = Q(lead__status__isnull=True) | Q(lead__status=LeadOutcome.OPEN)


def tried_before(cutoff: datetime) -> Q:
    """Current decisions made, and last re-tried (``Decision.retried_at``), before ``cutoff``: a
    re-route that found nobody better keeps the decision, so without this each sweep (every
    minute) would try it again and write a journey note."""
    return Q(decided_at__lte=cutoff) & (Q(retried_at__isnull=True) | Q(retried_at__lte=cutoff))


def connected_connection_ids() -> list[object]:
    return list(
        OrganizationIntegration.objects.filter(status=ConnectionStatus.CONNECTED).values_list("pk", flat=True)
    )


def sweep() -> dict[str, int]:
    return {"sla": reroute_breached_slas(), "retried": retry_nobody_eligible(), "missed": route_missed()}


def reroute_breached_slas() -> int:
    """Leads still untouched (no status change, owner as we wrote it) after the SLA go to someone else."""
    now = timezone.now()
    done = 0
    for policy in RoutingPolicy.objects.filter(enabled=True, sla_reroute_minutes__isnull=False):
        breached = (
            Decision.objects.filter(
                organization_id=policy.organization_id,
                is_current=True,
                outcome=DecisionOutcome.ASSIGNED,
                first_status_change_at__isnull=True,
                owner_write__status="written",
            )
            .filter(tried_before(now - timedelta(minutes=policy.sla_reroute_minutes)))
            .filter(OPEN)
            .annotate(
                reroutes=Count("lead__routing_decisions", filter=Q(lead__routing_decisions__trigger="sla"))
            )
            .filter(reroutes__lt=MAX_SLA_REROUTES)
            .select_related("lead", "rep", "owner_write")
        )
        untouched = [d for d in breached if d.lead.owner_external_id == d.owner_write.owner_external_id]
        for decision in untouched:
            reason = f"re-routed: untouched by {decision.rep} for {policy.sla_reroute_minutes} min"
            done += len(
                route_leads(
                    decision.lead.connection,
                    [decision.lead],
                    trigger=DecisionTrigger.SLA,
                    reason=reason,
                    only_undecided=False,
                    exclude_rep_ids=[str(decision.rep_id)],
                    keep_unless_assigned=True,
                )
            )
    return done


def retry_nobody_eligible() -> int:
    stuck = (
        Decision.objects.filter(is_current=True, outcome=DecisionOutcome.NO_ELIGIBLE_REP)
        .filter(tried_before(timezone.now() - RETRY_NOBODY_AFTER), OPEN)
        .select_related("lead")
    )
    return _route_by_connection(
        (d.lead for d in stuck), trigger=DecisionTrigger.RETRY, reason="retried: nobody could take it before"
    )


def route_missed() -> int:
    now = timezone.now()
    missed = Lead.objects.filter(
        first_received_at__gte=now - MISSED_WINDOW,
        first_received_at__lte=now - MISSED_GRACE,
        routing_decisions__isnull=True,
    ).filter(Q(status__isnull=True) | Q(status=LeadOutcome.OPEN))
    return _route_by_connection(
        (lead for lead in missed if is_routable(lead)), trigger=DecisionTrigger.INTAKE, reason=""
    )


def _route_by_connection(leads: Iterable[Lead], *, trigger: str, reason: str) -> int:
    by_connection: dict[object, list[Lead]] = defaultdict(list)
    for lead in leads:
        by_connection[lead.connection_id].append(lead)
    done = 0
    for connection_id, group in by_connection.items():
        connection = OrganizationIntegration.objects.get(pk=connection_id)
        retry = trigger == DecisionTrigger.RETRY
        done += len(
            route_leads(
                connection,
                group,
                trigger=trigger,
                reason=reason,
                only_undecided=not retry,
                keep_unless_assigned=retry,
            )
        )
    return done
