"""Lead timing rollups (routing/timing_rollups.py): owners written per minute and hour with
created → owner written percentiles, recomputed idempotently; the health page's lead figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations import health_hooks
from crm_integrations.models import BucketSize
from field_mapping.models import Lead
from routing import timing_rollups
from routing.models import Decision, DecisionOutcome, LeadTimingRollup, OwnerWrite, WriteStatus

from . import factories as make

pytestmark = pytest.mark.django_db


def write(crm, rep, *, status: str, stored, written=None, created=None) -> OwnerWrite:
    lead = make.lead(crm, first_received_at=stored)
    decision = Decision.objects.create(
        lead=lead, organization_id=lead.organization_id, outcome=DecisionOutcome.ASSIGNED, rep=rep
    )
    return OwnerWrite.objects.create(
        decision=decision,
        connection=crm,
        object_type="leads",
        record_id=lead.external_id,
        owner_property="hubspot_owner_id",
        owner_external_id="1",
        status=status,
        created_at=created or stored,
        written_at=written,
        next_attempt_at=timezone.now(),
    )


def test_owners_written_are_rolled_up_with_their_wait_and_read_back_for_the_health_page(organization):
    crm = make.hubspot_connection(organization)
    rep = make.rep(crm, "Ann")
    now = timezone.now().replace(second=30, microsecond=0)
    minute = now.replace(second=0) - timedelta(minutes=2)
    for seconds in (1, 2, 3, 4, 10):
        written = minute + timedelta(seconds=20)
        write(
            crm, rep, status=WriteStatus.WRITTEN, stored=written - timedelta(seconds=seconds), written=written
        )
    write(crm, rep, status=WriteStatus.PENDING, stored=now)
    write(crm, rep, status=WriteStatus.FAILED, stored=now - timedelta(minutes=1))
    timing_rollups.roll_up_recent(now)
    timing_rollups.roll_up_recent(now)  # idempotent
    row = LeadTimingRollup.objects.get(bucket_size=BucketSize.MINUTE, bucket_start=minute)
    assert (row.owners_written, row.to_owner_p50_ms, row.to_owner_p95_ms) == (5, 3000, 10000)
    assert LeadTimingRollup.objects.get(bucket_size=BucketSize.HOUR, owners_written=5)
    figures = health_hooks.lead_figures([crm.pk], now - timedelta(hours=1), now)[crm.pk]
    assert figures["owners_written"] == 5 and figures["to_owner_p50_ms"] == 3000
    assert (figures["writes_pending"], figures["writes_failed"], figures["writes_failed_recent"]) == (1, 1, 1)


def test_the_wait_starts_when_the_crm_made_the_lead_and_existing_leads_are_left_out(organization):
    crm = make.hubspot_connection(organization)
    rep = make.rep(crm, "Ann")
    now = timezone.now().replace(second=30, microsecond=0)
    minute = now.replace(second=0) - timedelta(minutes=2)
    written = minute + timedelta(seconds=20)
    new = write(crm, rep, status=WriteStatus.WRITTEN, stored=written - timedelta(seconds=1), written=written)
    old = write(crm, rep, status=WriteStatus.WRITTEN, stored=written - timedelta(seconds=1), written=written)
    Lead.objects.filter(pk=new.decision.lead_id).update(
        crm_created_at=written - timedelta(seconds=4)  # 3 s to reach us, 1 s more to its owner
    )
    Lead.objects.filter(pk=old.decision.lead_id).update(
        crm_created_at=written - timedelta(days=30)  # an existing lead routed today
    )
    timing_rollups.roll_up_recent(now)
    row = LeadTimingRollup.objects.get(bucket_size=BucketSize.MINUTE, bucket_start=minute)
    assert (row.owners_written, row.to_owner_p50_ms, row.to_owner_p95_ms) == (2, 4000, 4000)
