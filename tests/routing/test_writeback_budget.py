"""An owner write-back that meets a spent rate budget (our shared limiter, or the CRM's 429) waits
for it: no failed attempt, no "owner write failed" on the journey, and a task at the budget's refill
(routing/writeback.py, ``_wait_for_budget``)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from crm_integrations.core.errors import RateLimited
from crm_integrations.hubspot.client import HubSpotClient
from crm_integrations.intake import batches
from routing import tasks
from routing.models import JourneyEvent, OwnerWrite
from tests.routing.test_pipeline_query_counts import routed  # noqa: F401
from tests.routing.test_writeback_handoff import pending_round


@pytest.mark.django_db(transaction=True)
def test_a_spent_budget_is_waited_for_not_counted_as_a_failure(routed, hubspot_sandbox):  # noqa: F811
    cache.clear()
    ids = pending_round(hubspot_sandbox, 30)
    spent = RateLimited("HubSpot's 100 calls per 10 s are spent", retry_after=2.0)
    with (
        mock.patch.object(HubSpotClient, "batch_update", side_effect=spent) as sends,
        mock.patch.object(tasks.flush_owner_writes, "apply_async") as queued,
    ):
        before = timezone.now()
        batches.take_in_pending(routed.pk)

    writes = OwnerWrite.objects.filter(record_id__in=ids)
    assert writes.count() > 10 and sends.call_count == 1  # one refusal: the rest were not tried
    assert {(write.status, write.attempts, write.last_error) for write in writes} == {("retrying", 0, "")}
    assert all(1.9 <= (write.next_attempt_at - before).total_seconds() <= 3 for write in writes)
    assert not JourneyEvent.objects.filter(lead__external_id__in=ids, kind="write_failed").exists()
    (retry,) = queued.call_args_list
    assert 1.0 <= retry.kwargs["countdown"] <= 2.0  # the refill, not the 5-second failure backoff

    writes.update(next_attempt_at=timezone.now())  # that task, once the budget is back
    tasks.flush_owner_writes(str(routed.pk))
    assert {(write.status, write.attempts) for write in writes.all()} == {("written", 1)}
