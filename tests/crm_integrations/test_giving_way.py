"""A long task asks whether another account's work waits in the broker (crm_integrations/core/
giving_way.py), on the configured broker: the embedded one here, Redis in CI's second lane."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

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
