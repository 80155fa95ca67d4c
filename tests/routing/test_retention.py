"""Routing's retention: old journey events go; of decisions only superseded ones of closed leads,
never what live routing reads (current decisions, an open lead's re-route history, unfinished writes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations import pruning
from routing.models import Decision, DecisionOutcome, JourneyEvent, OwnerWrite

from . import factories as make


def policy(name: str) -> pruning.RetentionPolicy:
    return next(p for p in pruning.all_policies() if p.name == name)


@pytest.fixture
def crm(organization):
    return make.hubspot_connection(organization)


def decision(lead, rep, *, days_ago: int, current: bool, write_status: str | None = None) -> Decision:
    made = Decision.objects.create(
        lead=lead,
        organization_id=lead.organization_id,
        outcome=DecisionOutcome.ASSIGNED,
        rep=rep,
        is_current=current,
        decided_at=timezone.now() - timedelta(days=days_ago),
    )
    JourneyEvent.objects.create(lead=lead, kind="routed", summary="routed", decision=made, at=made.decided_at)
    if write_status:
        OwnerWrite.objects.create(
            decision=made,
            connection=lead.connection,
            object_type="leads",
            record_id=lead.external_id,
            owner_property="hubspot_owner_id",
            owner_external_id="1",
            status=write_status,
        )
    return made


@pytest.mark.django_db
def test_only_superseded_decisions_of_closed_leads_are_pruned(crm, settings):
    settings.DATA_RETENTION = {**settings.DATA_RETENTION, "DECISION_DAYS": 180}
    ann = make.rep(crm, "Ann")
    won, still_open = make.lead(crm, status="won"), make.lead(crm, status=None)
    gone = decision(won, ann, days_ago=300, current=False, write_status="written")
    stuck_write = decision(won, ann, days_ago=290, current=False, write_status="retrying")
    recent = decision(won, ann, days_ago=100, current=False)
    current = decision(won, ann, days_ago=250, current=True)
    open_history = decision(still_open, ann, days_ago=300, current=False)  # counts toward SLA re-routes

    assert pruning.run_policy(policy("decisions")) == 1
    assert set(Decision.objects.values_list("pk", flat=True)) == {
        stuck_write.pk,
        recent.pk,
        current.pk,
        open_history.pk,
    }
    assert not OwnerWrite.objects.filter(decision_id=gone.pk).exists()
    assert not JourneyEvent.objects.filter(decision_id=gone.pk).exists()


@pytest.mark.django_db
def test_journey_events_older_than_the_retention_are_pruned(crm, settings):
    settings.DATA_RETENTION = {**settings.DATA_RETENTION, "JOURNEY_DAYS": 180, "BATCH_SIZE": 2}
    lead = make.lead(crm)
    now = timezone.now()
    for days in (400, 300, 200, 181, 179, 1):
        JourneyEvent.objects.create(
            lead=lead, kind="received", summary=f"{days}", at=now - timedelta(days=days)
        )

    assert pruning.run_policy(policy("journey_events"), now=now, max_batches=1) == 2  # interrupted
    assert pruning.run_policy(policy("journey_events"), now=now) == 2  # resumed
    assert sorted(JourneyEvent.objects.values_list("summary", flat=True)) == ["1", "179"]
