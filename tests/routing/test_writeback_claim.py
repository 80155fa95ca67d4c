"""A flush's claim loads only the columns the flush reads (routing/writeback.py, ``CLAIMED_FIELDS``):
what the journey line, the follow-up task and the write-back span read is there without a query,
so a field left out by mistake shows here instead of as a query per row in a burst."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from routing import writeback
from routing.assign import route_leads
from routing.writeback_tasks import follow_up_task

from . import factories as make


@pytest.mark.django_db
def test_a_claimed_row_has_what_the_flush_reads_without_a_query_per_row(organization):
    crm = make.hubspot_connection(organization)
    ann = make.rep(crm, "Ann", owner_id="71")
    make.rule(organization, "Everyone", reps=[ann])
    make.publish(organization)
    route_leads(crm, [make.lead(crm, name=f"Lead {n}") for n in range(3)])

    rows = writeback.claim(crm.pk, 100)

    with CaptureQueriesContext(db) as captured:
        lines = [
            (
                row.decision.lead_id,
                str(row.decision.rep),
                row.record_id,
                row.owner_external_id,
                row.trace_context,
            )
            for row in rows
        ]
        tasks = [follow_up_task(row, timezone.now() + timedelta(hours=1)) for row in rows]
    assert len(captured) == 0
    assert len(lines) == 3 and {line[1] for line in lines} == {"Ann"}
    assert {task.subject for task in tasks} == {"Follow up: Lead 0", "Follow up: Lead 1", "Follow up: Lead 2"}
    assert {task.body for task in tasks} == {"Routed to you by rule 'Everyone'."}
