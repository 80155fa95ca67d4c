"""An intake round storing its leads in several parts hands their owner write-backs to a task, so
another worker process writes a part's owners while this one stores the next (routing/writeback.py,
``coalescing.handing_off`` in field_mapping/receivers.py); a round of one part writes them at once."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache

from crm_integrations.intake import batches, processing
from field_mapping.receivers import STORE_CHUNK
from routing import tasks, writeback
from routing.models import OwnerWrite
from tests.routing.test_pipeline_query_counts import creations, delivery_of, routed  # noqa: F401


def pending_round(sandbox, size: int) -> list[str]:
    ids, created = creations(sandbox, size, 1_000_000 * size)
    for start in range(0, size, 100):  # HubSpot's 100 events a request
        with mock.patch.object(batches, "request"):
            processing.process(delivery_of(created[start : start + 100]).pk)
    return ids


def statuses(ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in OwnerWrite.objects.filter(record_id__in=ids).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


@pytest.mark.django_db(transaction=True)  # each part's commit runs its on_commit work there and then
def test_a_round_in_parts_hands_its_write_backs_to_one_task(routed, hubspot_sandbox):  # noqa: F811
    cache.clear()
    ids = pending_round(hubspot_sandbox, STORE_CHUNK + 50)
    with mock.patch.object(tasks.flush_owner_writes, "apply_async") as queued:
        batches.take_in_pending(routed.pk)

    assigned = OwnerWrite.objects.filter(record_id__in=ids).count()
    assert assigned > STORE_CHUNK // 2
    assert statuses(ids) == {"pending": assigned}  # none written in the round's process
    queued.assert_called_once_with((str(routed.pk),), countdown=0.0)  # the second part's joined it

    tasks.flush_owner_writes(str(routed.pk))  # the task, in the other process
    assert statuses(ids) == {"written": assigned}


@pytest.mark.django_db(transaction=True)
def test_a_round_of_one_part_writes_its_owners_at_once(routed, hubspot_sandbox):  # noqa: F811
    cache.clear()
    ids = pending_round(hubspot_sandbox, 30)
    with mock.patch.object(tasks.flush_owner_writes, "apply_async") as queued:
        batches.take_in_pending(routed.pk)

    assert queued.call_count == 0
    assert set(statuses(ids)) == {"written"}


@pytest.mark.django_db(transaction=True)
def test_a_handed_off_flush_the_crm_refuses_queues_its_retry(routed, hubspot_sandbox):  # noqa: F811
    """The task goes the way of a flush asked for outside a round: rows sent back to retrying get a
    task at their retry time, not only the beat (which a benchmark, and a stalled beat, never run)."""
    cache.clear()
    ids = pending_round(hubspot_sandbox, STORE_CHUNK + 50)
    with mock.patch.object(tasks.flush_owner_writes, "apply_async") as queued:
        batches.take_in_pending(routed.pk)
        hubspot_sandbox.control.set_faults(
            error_share=1.0, error_statuses=[503], path_prefix="/crm/v3/objects/leads/batch/update"
        )
        tasks.flush_owner_writes(str(routed.pk))

    assert set(statuses(ids)) == {"retrying"}
    handed, retry = queued.call_args_list
    assert handed.args == retry.args == ((str(routed.pk),),)
    assert handed.kwargs == {"countdown": 0.0}
    assert 0 < retry.kwargs["countdown"] <= writeback.RETRY_TASK_HORIZON


@pytest.mark.django_db(transaction=True)
def test_a_flush_gives_way_between_batches_while_another_account_waits(routed, hubspot_sandbox, monkeypatch):  # noqa: F811
    """Another organization's task waiting for a process (crm_integrations/core/giving_way.py): the
    flush task stops after one batch and queues its follow-up behind it; with none waiting it writes all."""
    cache.clear()
    ids = pending_round(hubspot_sandbox, 250)
    with monkeypatch.context() as later:  # routed now, written below
        later.setattr(writeback, "request_flush", lambda connection_id: None)
        batches.take_in_pending(routed.pk)
    assigned = OwnerWrite.objects.filter(record_id__in=ids).count()
    batch = writeback.registry.get_client(routed).batch_size
    assert assigned > 2 * batch

    monkeypatch.setattr(writeback, "another_account_waiting", lambda: True)
    with mock.patch.object(tasks.flush_owner_writes, "apply_async") as queued:
        tasks.flush_owner_writes(str(routed.pk))
    assert statuses(ids) == {"written": batch, "pending": assigned - batch}
    queued.assert_called_once_with((str(routed.pk),), countdown=0.0)

    monkeypatch.setattr(writeback, "another_account_waiting", lambda: False)
    with mock.patch.object(tasks.flush_owner_writes, "apply_async") as queued:
        tasks.flush_owner_writes(str(routed.pk))
    assert statuses(ids) == {"written": assigned}
    assert queued.call_count == 0
