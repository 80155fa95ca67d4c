"""Selectors of the admin home (templates/admin/index.html) and the integrations page's figures.

Registered with ``crm_integrations.home`` in ``RoutingConfig.ready`` (routing/apps.py): routing
sits above every app whose data the home reads (connections, mappings, leads, rules, decisions),
so the whole home is computed here and the pages below only show it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from crm_integrations.models import ConnectionStatus, Organization, OrganizationIntegration
from field_mapping.models import FieldMapping, Lead, LeadState

from .models import (
    Decision,
    DecisionOutcome,
    JourneyEvent,
    JourneyKind,
    OwnerWrite,
    Rep,
    RuleSet,
    WriteStatus,
)
from .rulesets import live_version
from .timing_rollups import created_to_owner_start

PENDING_WRITES = (WriteStatus.PENDING, WriteStatus.SENDING, WriteStatus.RETRYING)
TOP_REASONS = 3


@dataclass(frozen=True)
class Step:
    """One step of the setup checklist: done or not, what it found, and the page that does it."""

    key: str
    title: str
    done: bool
    detail: str
    url: str
    action: str


@dataclass(frozen=True)
class TodayFigures:
    leads_in: int
    routed: int
    held: int
    top_reasons: list[tuple[str, int]]
    writes_pending: int
    writes_failed: int
    median_seconds: float | None  # created in the CRM (else taken in) → owner written, today

    @property
    def median_label(self) -> str:
        if self.median_seconds is None:
            return "—"
        if self.median_seconds < 60:
            return f"{self.median_seconds:.1f} s"
        return f"{self.median_seconds / 60:.1f} min"


def start_of_day(now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)


def setup_checklist(organization: Organization) -> list[Step]:
    """Connect a CRM → reps synced → field mapping saved → rules published → first lead routed."""
    query = f"?organization={organization.pk}"
    connected = OrganizationIntegration.objects.filter(
        organization=organization, status=ConnectionStatus.CONNECTED
    ).select_related("integration")
    names = ", ".join(c.integration.name for c in connected)
    reps = Rep.objects.filter(organization=organization, active=True).count()
    mappings = list(FieldMapping.objects.filter(connection__in=connected))
    reviewed = [m for m in mappings if m.updated_by_id]
    version = live_version(organization.pk)
    ruleset = RuleSet.objects.filter(organization=organization).first()
    routed = Decision.objects.filter(organization=organization, outcome=DecisionOutcome.ASSIGNED)
    first = routed.order_by("decided_at").select_related("lead").first()
    return [
        Step(
            "connect",
            "Connect a CRM",
            bool(names),
            f"Connected: {names}" if names else "No CRM connected yet.",
            reverse("crm_integrations:select_crm") + query,
            "Connect a CRM",
        ),
        Step(
            "reps",
            "Reps synced",
            reps > 0,
            f"{reps} active rep(s)" if reps else "No reps yet: they come from the CRM's owners or users.",
            reverse("admin:routing_rep_sync"),
            "Sync reps",
        ),
        Step(
            "mapping",
            "Field mapping saved",
            bool(mappings),
            _mapping_detail(mappings, reviewed),
            reverse("admin:field_mapping_fieldmapping_wizard"),
            "Open the mapping wizard",
        ),
        Step(
            "rules",
            "Rules published",
            version is not None,
            f"Version {version.number} live since {timezone.localtime(version.published_at):%Y-%m-%d %H:%M}"
            if version
            else "Nothing published: new leads wait unrouted.",
            reverse("admin:routing_ruleset_change", args=[ruleset.pk])
            if ruleset
            else reverse("admin:routing_ruleset_add"),
            "Edit and publish rules",
        ),
        Step(
            "first_lead",
            "First lead routed",
            first is not None,
            f"{first.lead.name or first.lead.email or 'A lead'} on "
            f"{timezone.localtime(first.decided_at):%Y-%m-%d %H:%M}"
            if first
            else "No lead routed yet: route the leads already in the CRM, or wait for a new one.",
            reverse("existing_leads") + query,
            "Route existing leads",
        ),
    ]


def _mapping_detail(mappings: list[FieldMapping], reviewed: list[FieldMapping]) -> str:
    if not mappings:
        return "Not mapped yet: check how the CRM's fields become a lead."
    if reviewed:
        return f"Saved for {len(reviewed)} connection(s)"
    return "The CRM's default mapping is in use; review it in the wizard."


def today_figures(organization: Organization, *, now: datetime | None = None) -> TodayFigures:
    """Leads taken in since midnight, what became of them, and the write-backs."""
    since = start_of_day(now)
    leads = Lead.objects.filter(organization=organization, first_received_at__gte=since)
    current = Decision.objects.filter(lead__in=leads, is_current=True)
    routed = current.filter(outcome=DecisionOutcome.ASSIGNED).count()
    reasons = _held_reasons(organization, leads, current)
    writes = OwnerWrite.objects.filter(connection__organization=organization)
    counts = writes.aggregate(
        pending=Count("pk", filter=Q(status__in=PENDING_WRITES)),
        failed=Count("pk", filter=Q(status=WriteStatus.FAILED)),
    )
    written = writes.filter(written_at__gte=since, decision__lead__first_received_at__isnull=False)
    delays = [
        (written_at - began).total_seconds()
        for written_at, created, received in written.values_list(
            "written_at", "decision__lead__crm_created_at", "decision__lead__first_received_at"
        )
        if (began := created_to_owner_start(created, received)) is not None
    ]
    return TodayFigures(
        leads_in=leads.count(),
        routed=routed,
        held=sum(reasons.values()),
        top_reasons=reasons.most_common(TOP_REASONS),
        writes_pending=counts["pending"],
        writes_failed=counts["failed"],
        median_seconds=max(statistics.median(delays), 0.0) if delays else None,
    )


def _held_reasons(organization: Organization, leads: Any, current: Any) -> Counter[str]:
    """Why today's leads have no rep: the decision's outcome (a filter by its name), a mapping
    error, or nothing decided (no published rules, still on its way)."""
    reasons: Counter[str] = Counter()
    for outcome, held_by in current.exclude(outcome=DecisionOutcome.ASSIGNED).values_list(
        "outcome", "held_by"
    ):
        label = DecisionOutcome(outcome).label
        reasons[f"{label}: {held_by}" if held_by else label] += 1
    undecided = leads.exclude(pk__in=current.values("lead_id"))
    reasons["Mapping error"] += undecided.filter(state=LeadState.MAPPING_ERROR).count()
    waiting = undecided.exclude(state=LeadState.MAPPING_ERROR)
    not_routed = JourneyEvent.objects.filter(lead__in=waiting, kind=JourneyKind.NOT_ROUTED)
    reasons["Not routed (no published rules)"] += not_routed.values("lead_id").distinct().count()
    return +reasons  # drops the zero counts


def connection_figures(organization: Organization) -> dict[Any, dict[str, Any]]:
    """Per connection: leads taken in today, and the next step of its setup (None: all done)."""
    since = start_of_day()
    today = dict(
        Lead.objects.filter(organization=organization, first_received_at__gte=since)
        .values_list("connection_id")
        .annotate(n=Count("pk"))
    )
    steps = {step.key: step for step in setup_checklist(organization)}
    mapped = set(
        FieldMapping.objects.filter(connection__organization=organization).values_list(
            "connection_id", flat=True
        )
    )
    figures: dict[Any, dict[str, Any]] = {}
    for connection in OrganizationIntegration.objects.filter(organization=organization):
        if connection.status != ConnectionStatus.CONNECTED:
            step = None  # the integrations page offers Reconnect itself
        elif connection.pk not in mapped:
            step = steps["mapping"]
        else:
            step = next((s for s in steps.values() if not s.done and s.key != "connect"), None)
        figures[connection.pk] = {"leads_today": today.get(connection.pk, 0), "next_step": step}
    return figures


def home_context(request: HttpRequest, organization: Organization) -> dict[str, Any]:
    steps = setup_checklist(organization)
    return {
        "checklist": steps,
        "checklist_done": sum(step.done for step in steps),
        "next_step": next((step for step in steps if not step.done), None),
        "today": today_figures(organization),
    }
