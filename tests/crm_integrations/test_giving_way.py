"""A long task asks whether another account's work waits in the broker or in a worker that took it
(crm_integrations/core/giving_way.py), on the configured broker and cache: the embedded ones here,
Redis in CI's second lane."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from config import celery as celery_config
from config.celery import app
from config.embedded_broker import LISTING_REUSE
from crm_integrations.core import giving_way


@app.task(name="tests.giving_way.probe")
def probe() -> tuple[str | None, bool]:
    """What a task sees: its own account queue, and whether another account's work waits."""
    return giving_way.current_queue(), giving_way.another_account_waiting()


def purge_every_queue() -> None:
    with app.connection_for_write() as connection:
        for queue in app.conf.task_queues:
            connection.default_channel.queue_purge(queue.name)
            cache.delete_many([giving_way._received_key(queue.name), giving_way._started_key(queue.name)])
    time.sleep(LISTING_REUSE)  # the embedded broker's counts are this old at most


@pytest.fixture
def empty_queues() -> Iterator[None]:
    """Every queue emptied before (earlier tests in this process queue tasks no worker takes) and after."""
    purge_every_queue()
    yield
    purge_every_queue()


def put(queue: str) -> None:
    """A message on ``queue`` (its task is never run)."""
    app.send_task("tests.giving_way.never_run", queue=queue)
    time.sleep(LISTING_REUSE)  # the embedded broker's counts are this old at most


def test_outside_a_task_nothing_is_asked():
    assert giving_way.current_queue() is None
    assert giving_way.another_account_waiting() is False


def test_a_task_gives_way_only_to_another_accounts_waiting_message(empty_queues):
    assert probe.apply(routing_key="account-1").get() == ("account-1", False)  # nothing waits

    put("account-1")  # its own account's next task: no reason to stop
    put("celery")  # beat and admin work: not another organization's leads
    assert probe.apply(routing_key="account-1").get() == ("account-1", False)

    put("account-2")
    assert probe.apply(routing_key="account-1").get() == ("account-1", True)


def test_a_task_from_the_default_queue_is_not_an_accounts_and_never_gives_way(empty_queues):
    put("account-2")
    assert probe.apply(routing_key="celery").get() == (None, False)


def test_a_task_a_worker_took_and_has_not_started_counts_as_waiting(empty_queues):
    """A worker whose processes are all busy holds the task it took: the broker's queue is empty,
    but the worker noted receiving it, and no process has started it yet."""
    giving_way.note_received("account-2", countdown=False)
    assert probe.apply(routing_key="account-1").get() == ("account-1", True)

    giving_way.note_started("account-2")  # a process took it up
    assert probe.apply(routing_key="account-1").get() == ("account-1", False)


def test_a_task_held_for_its_countdown_or_of_the_default_queue_is_not_waiting(empty_queues):
    giving_way.note_received("account-2", countdown=True)  # not due: not waiting for a process
    giving_way.note_received("celery", countdown=False)  # not another organization's leads
    giving_way.note_received("account-1", countdown=False)  # the task's own account
    assert probe.apply(routing_key="account-1").get() == ("account-1", False)


def test_the_worker_signals_note_what_was_received_and_what_started(empty_queues):
    """config/celery.py: the worker's main process notes a task it received, the process that runs a
    task notes its start (a task run here sends ``task_prerun`` as a worker's would)."""
    received = SimpleNamespace(delivery_info={"routing_key": "account-2"}, eta=None)
    celery_config._note_task_received(request=received)
    assert probe.apply(routing_key="account-1").get() == ("account-1", True)

    probe.apply(routing_key="account-2").get()  # started: its task_prerun notes it
    assert probe.apply(routing_key="account-1").get() == ("account-1", False)

    later = SimpleNamespace(delivery_info={"routing_key": "account-2"}, eta="2026-12-07T10:00:00+00:00")
    celery_config._note_task_received(request=later)  # a countdown: noted as nothing
    assert probe.apply(routing_key="account-1").get() == ("account-1", False)
