"""What the routing latency benchmark reads back: the sandbox's own records (creation and owner-write
times, its request log) and our database (webhook events, decisions, owner writes, call records).

The sandbox runs in this process, so its state is read directly (under its lock), which costs no
API call: a lead's creation time is its ``createdate``, its owner's write time the history entry
the batch update left on ``hubspot_owner_id``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from crm_integrations.models import (
    EventOutcome,
    OrganizationIntegration,
    ProviderApiCall,
    WebhookDelivery,
    WebhookEvent,
)
from devtools.sandboxes.hubspot import RunningSandbox
from field_mapping.models import Lead
from routing.models import Decision, DecisionOutcome, JourneyEvent, JourneyKind, OwnerWrite

from .latency_report import STAGES, STEPS, LatencyReport, Setup

OWNER = "hubspot_owner_id"
SAMPLE = 5
_INTAKE_READ = re.compile(r"/batch/read$")
_ASSOCIATIONS = re.compile(r"/associations/(?P<from>[^/]+)/(?P<to>[^/]+)/batch/read$")
_COMPANY_SEARCH = re.compile(r"/(companies|0-2)/search$")
_TASKS = re.compile(r"/objects/(tasks|0-27)(/|$)")


@dataclass(frozen=True)
class CrmLead:
    created_ms: int
    owner: str
    owner_written_ms: int | None  # the first owner an app (source API) wrote


def crm_leads(sandbox: RunningSandbox, portal_id: int, ids: Sequence[str]) -> dict[str, CrmLead]:
    state = sandbox.state
    with state.lock:
        records = state.portal(portal_id).records["leads"]
        found = {lead_id: records[int(lead_id)] for lead_id in ids}
        return {
            lead_id: CrmLead(
                record.created_ms,
                record.properties.get(OWNER) or "",
                min(
                    (
                        e.timestamp_ms
                        for e in record.history.get(OWNER, ())
                        if e.value and e.source_type == "API"
                    ),
                    default=None,
                ),
            )
            for lead_id, record in found.items()
        }


def owned_count(sandbox: RunningSandbox, portal_id: int, ids: Sequence[str]) -> int:
    """Burst leads that have an owner at the CRM now (cheap enough to poll for a progress bar)."""
    state = sandbox.state
    with state.lock:
        records = state.portal(portal_id).records["leads"]
        return sum(1 for lead_id in ids if records[int(lead_id)].properties.get(OWNER))


def call_category(method: str, path: str) -> str:
    """``intake reads`` (records and associations by id), ``owner write-backs`` (batch update),
    ``tasks``, ``account lookups`` (company search), or ``other`` (owners, tokens, ...).

    An account lookup by company id is a companies batch read, counted as an intake read: the
    request log cannot tell them apart (the starter rules look no account up)."""
    if method == "POST" and path.endswith("/batch/update"):
        return "owner write-backs"
    if _TASKS.search(path):
        return "tasks"
    if method == "POST" and _COMPANY_SEARCH.search(path):
        return "account lookups"
    if method == "POST" and _INTAKE_READ.search(path):
        return "intake reads"
    return "other"


def intake_read_of(path: str) -> str:
    """What an intake read reads: ``leads`` (records), ``leads->contacts`` (associations)."""
    if match := _ASSOCIATIONS.search(path):
        return f"{match['from']}->{match['to']}"
    return path.removesuffix("/batch/read").rpartition("/")[2]


@dataclass(frozen=True)
class Calls:
    categories: Counter[str]
    intake: Counter[str]  # intake reads by what they read
    throttled: int  # answered 429


def api_calls(sandbox: RunningSandbox, since_seq: int) -> Calls:
    """HubSpot API requests the sandbox answered after ``since_seq`` (its control API excluded)."""
    entries = [e for e in sandbox.state.requests.entries(since_seq) if not e["path"].startswith("/_sandbox")]
    categories = Counter(call_category(e["method"], e["path"]) for e in entries)
    intake = Counter(
        intake_read_of(e["path"]) for e in entries if call_category(e["method"], e["path"]) == "intake reads"
    )
    return Calls(categories, intake, sum(1 for e in entries if e["status"] == 429))


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else round(moment.timestamp() * 1000)


def _since_creation(crm: Mapping[str, CrmLead], moments: Mapping[str, int | None]) -> list[float]:
    return sorted(
        (moment - crm[lead_id].created_ms) / 1000
        for lead_id, moment in moments.items()
        if moment is not None and lead_id in crm
    )


def _events(since: datetime) -> tuple[Counter[str], int]:
    rows = WebhookEvent.objects.filter(delivery__received_at__gte=since).values_list(
        "object_type", "event_type", "property_name", "outcome"
    )
    names: Counter[str] = Counter()
    errors = 0
    for object_type, event_type, property_name, outcome in rows:
        kind = event_type.rpartition(".")[2]  # contact.creation, object.creation: "creation"
        names[" ".join(part for part in (object_type or "?", kind, property_name) if part)] += 1
        errors += outcome == EventOutcome.ERROR
    return names, errors


def _failed_posts(sandbox: RunningSandbox) -> int:
    attempts = [a for d in sandbox.control.deliveries("app") for a in d["attempts"]]
    return sum(1 for a in attempts if not (a["status"] and 200 <= a["status"] < 300))


@dataclass(frozen=True)
class Window:
    """The measured stretch: from just before the burst was created until everything settled."""

    since: datetime
    since_seq: int  # the sandbox request log's sequence number then
    create_seconds: float
    wall_seconds: float
    settled: bool


def _received(connection: OrganizationIntegration) -> dict[str, int | None]:
    """When each lead's creation event was stored (its delivery's arrival)."""
    rows = WebhookEvent.objects.filter(
        connection=connection, object_type="leads", event_type="object.creation", duplicate_of=None
    ).values_list("object_id", "delivery__received_at")
    return {lead_id: _ms(received_at) for lead_id, received_at in rows}


def _stored(connection: OrganizationIntegration) -> dict[str, int | None]:
    """When each lead was stored: its journey's first "received" entry (routing/receivers.py)."""
    rows = (
        JourneyEvent.objects.filter(lead__connection=connection, kind=JourneyKind.RECEIVED)
        .order_by("-at")
        .values_list("lead__external_id", "at")
    )
    return {lead_id: _ms(at) for lead_id, at in rows}  # the earliest comes last


#: Each lead's moments (ms by id), one map per end of a stage in ``STEPS``, the creation first.
Timeline = tuple[Mapping[str, int | None], ...]


def timeline_of(
    crm: Mapping[str, CrmLead],
    connection: OrganizationIntegration,
    first_decided: Mapping[str, int | None],
    written: Mapping[str, int | None],
) -> Timeline:
    """The moments of ``crm``'s leads, and only theirs: created at the CRM, creation event stored,
    lead stored, first decided, owner written (our record), owner written at the CRM."""
    moments = (
        {lead_id: lead.created_ms for lead_id, lead in crm.items()},
        _received(connection),
        _stored(connection),
        first_decided,
        written,
        {lead_id: lead.owner_written_ms for lead_id, lead in crm.items()},
    )
    return tuple({lead_id: found.get(lead_id) for lead_id in crm} for found in moments)


def lead_timeline(
    sandbox: RunningSandbox, connection: OrganizationIntegration, ids: Sequence[str]
) -> Timeline:
    """``timeline_of`` the connection's leads ``ids`` (the fairness benchmark's B leads)."""
    crm = crm_leads(sandbox, int(connection.external_account_id), ids)
    return timeline_of(crm, connection, _decisions(connection).first_ms, _writes(connection).written_ms)


def steps_of(moments: Timeline) -> dict[str, list[float]]:
    """Each stage's own seconds per lead: the moment it ended minus the one before (both known)."""
    steps: dict[str, list[float]] = {}
    for name, (before, after) in zip(STEPS, pairwise(moments), strict=True):
        steps[name] = sorted(
            (end - start) / 1000
            for lead_id, end in after.items()
            if end is not None and (start := before.get(lead_id)) is not None
        )
    return steps


def slowest_steps(moments: Timeline) -> dict[str, float | None]:
    """The stages of the lead slowest from creation to its owner at the CRM (its p95 in a small run),
    seconds each (None: a moment unknown); empty when no lead got its owner."""
    created, at_crm = moments[0], moments[-1]
    done = [
        lead_id for lead_id, end in at_crm.items() if end is not None and created.get(lead_id) is not None
    ]
    if not done:
        return {}
    slowest = max(done, key=lambda lead_id: (at_crm[lead_id] or 0) - (created[lead_id] or 0))
    ends = [found.get(slowest) for found in moments]
    return {
        name: (after - before) / 1000 if before is not None and after is not None else None
        for name, (before, after) in zip(STEPS, pairwise(ends), strict=True)
    }


@dataclass(frozen=True)
class _Decisions:
    outcomes: Counter[str]  # every decision made, by outcome
    first_ms: dict[str, int | None]  # each lead's first decision
    current: dict[str, str]  # each lead's current outcome


def _decisions(connection: OrganizationIntegration) -> _Decisions:
    rows = Decision.objects.filter(lead__connection=connection).values_list(
        "lead__external_id", "decided_at", "outcome", "is_current"
    )
    found = _Decisions(Counter(), {}, {})
    for lead_id, decided_at, outcome, is_current in rows.order_by("-decided_at"):
        found.outcomes[outcome] += 1
        found.first_ms[lead_id] = _ms(decided_at)  # the earliest comes last
        if is_current:
            found.current[lead_id] = outcome
    return found


def unroutable_count(connection: OrganizationIntegration) -> int:
    """Leads decided without a rep (held, no rule, nobody eligible): no owner will be written."""
    current = Decision.objects.filter(lead__connection=connection, is_current=True)
    return current.exclude(outcome=DecisionOutcome.ASSIGNED).count()


@dataclass(frozen=True)
class _Writes:
    statuses: Counter[str]
    written_ms: dict[str, int | None]
    owners: dict[str, str]  # the owner each lead's write carries: the rep we decided


def _writes(connection: OrganizationIntegration) -> _Writes:
    rows = list(
        OwnerWrite.objects.filter(connection=connection).values_list(
            "record_id", "status", "written_at", "owner_external_id"
        )
    )
    return _Writes(
        Counter(status for _, status, _, _ in rows),
        {record_id: _ms(written_at) for record_id, _, written_at, _ in rows},
        {record_id: owner for record_id, _, _, owner in rows},
    )


def collect(
    sandbox: RunningSandbox,
    connection: OrganizationIntegration,
    ids: Sequence[str],
    setup: Setup,
    window: Window,
    notes: Sequence[str] = (),
) -> LatencyReport:
    portal_id = int(connection.external_account_id)
    crm = crm_leads(sandbox, portal_id, ids)
    decisions = _decisions(connection)
    writes = _writes(connection)
    at_crm = {lead_id: lead.owner_written_ms for lead_id, lead in crm.items()}
    written = [moment for moment in at_crm.values() if moment is not None]
    calls = api_calls(sandbox, window.since_seq)
    recorded = ProviderApiCall.objects.filter(
        provider="hubspot", account=str(portal_id), created_at__gte=window.since
    )
    events, event_errors = _events(window.since)
    first_created = min((lead.created_ms for lead in crm.values()), default=0)
    timeline = timeline_of(crm, connection, decisions.first_ms, writes.written_ms)
    received = timeline[1]
    first_received = min((moment for moment in received.values() if moment is not None), default=None)
    return LatencyReport(
        setup=setup,
        stages=dict(
            zip(
                STAGES,
                [
                    _since_creation(crm, moments)
                    for moments in (received, decisions.first_ms, writes.written_ms, at_crm)
                ],
                strict=True,
            )
        ),
        leads_taken_in=Lead.objects.filter(connection=connection).count(),
        decisions=decisions.outcomes,
        decided_leads=sum(1 for lead_id in ids if lead_id in decisions.current),
        assigned_leads=sum(
            1 for lead_id in ids if decisions.current.get(lead_id) == DecisionOutcome.ASSIGNED
        ),
        writes=writes.statuses,
        owned_at_crm=sum(1 for lead in crm.values() if lead.owner),
        owner_matches=sum(1 for k, lead in crm.items() if lead.owner and lead.owner == writes.owners.get(k)),
        sample=[
            (k, crm[k].owner, writes.owners.get(k, "")) for k in ids[:: max(1, len(ids) // SAMPLE)][:SAMPLE]
        ],
        calls=calls.categories,
        intake_reads=calls.intake,
        throttled=calls.throttled,
        recorded_calls=recorded.count(),
        recorded_errors=Counter(recorded.exclude(error_kind="").values_list("error_kind", flat=True)),
        events=events,
        deliveries=WebhookDelivery.objects.filter(received_at__gte=window.since).count(),
        sandbox_failed_posts=_failed_posts(sandbox),
        event_errors=event_errors,
        create_seconds=window.create_seconds,
        duration_seconds=(max(written) - first_created) / 1000 if written else 0.0,
        pipeline_seconds=(max(written) - first_received) / 1000 if written and first_received else 0.0,
        wall_seconds=window.wall_seconds,
        settled=window.settled,
        notes=tuple(notes),
        steps=steps_of(timeline),
    )
