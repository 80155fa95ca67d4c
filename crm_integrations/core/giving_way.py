"""Whether another account's work waits for a worker process: a long task's cue to give way.

One organization's burst keeps its long tasks busy back to back (an owner write-back flush writing a
thousand owners, 100 a call, for seconds: routing/writeback.py). Every worker consumes every account
queue in turn (config/task_routing.py), so once a process is free another account's waiting task is
taken before this account's next one; but a flush that loops until nothing is due frees its process
only when the burst is written. Asked between two batches, this says whether to stop there and leave
the rest to a follow-up task, which then queues behind the other account's.

Only account queues count (``ACCOUNT_QUEUE_PREFIX``, the names config/task_routing.py gives them):
beat jobs and admin work on the default queue are not another organization's leads. Outside a
Celery task (an inline flush in a web request) nothing is asked.

A task the worker has already taken from the broker, while all its processes are busy, waits in the
worker, not in the queue (Celery takes more than its processes can run once it holds tasks with a
countdown, as the intake's paced rounds are): the broker says the queue is empty. So the worker
notes when it receives an account queue's task and a process when it starts one
(``note_received``, ``note_started``, connected in config/celery.py), in the cache every process
shares, and a queue whose last task received is newer than its last task started has one waiting
too. In a traced fairness run a write-back wrote four more batches, 0.85 s, while B's task waited
so (docs/benchmarks.md, fairness, "Eleventh pass").
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache
from kombu.exceptions import ChannelError, OperationalError

logger = logging.getLogger(__name__)

#: Account queues are named this plus a number (config/task_routing.py).
ACCOUNT_QUEUE_PREFIX = "account-"
#: Seconds a queue's "received" and "started" moments are kept after their last change: a worker that
#: died holding a task leaves its queue looking busy this long at most.
MOMENTS_KEPT = 60


def current_queue() -> str | None:
    """The account queue the running Celery task came from, or None (not a task, another queue)."""
    from celery import current_task

    if not current_task or current_task.request.called_directly:  # a proxy: falsy outside a task
        return None
    queue = queue_of(current_task.request)
    return queue if _is_account_queue(queue) else None


def queue_of(request: Any) -> str | None:
    """The queue a task's message came from (a worker's request or a running task's context)."""
    return (getattr(request, "delivery_info", None) or {}).get("routing_key") or None


def another_account_waiting() -> bool:
    """A task waits in an account queue other than the running task's own, at the broker or taken by
    a worker that has not started it (False outside an account task, and when neither the cache nor
    the broker can be asked: giving way is an optimization)."""
    from celery import current_app

    own = current_queue()
    if own is None:
        return False
    queues = [
        queue.name
        for queue in current_app.conf.task_queues or ()
        if _is_account_queue(queue.name) and queue.name != own
    ]
    if _waiting_in_a_worker(queues):
        return True
    try:
        with current_app.connection_or_acquire() as connection:  # the app's pool: no new connection
            channel = connection.default_channel
            return any(_size(channel, name) for name in queues)
    except (ChannelError, OperationalError, OSError):
        logger.warning("Could not read the account queues' lengths; the task goes on", exc_info=True)
        return False


def _size(channel: Any, queue: str) -> int:  # a kombu channel of whichever transport
    """Messages waiting in ``queue`` (a queue never declared on this broker holds none)."""
    try:
        return channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:
        return 0


def note_received(queue: str | None, *, countdown: bool) -> None:
    """The worker took a task of ``queue`` from the broker (``task_received``, in the worker's main
    process). A task with a countdown is not waiting for a process: it is not noted."""
    if _is_account_queue(queue) and not countdown:
        _note(_received_key(str(queue)))


def note_started(queue: str | None) -> None:
    """A process started a task of ``queue`` (``task_prerun``, in the process that runs it)."""
    if _is_account_queue(queue):
        _note(_started_key(str(queue)))


def _waiting_in_a_worker(queues: list[str]) -> bool:
    """One of ``queues`` has a task a worker took and no process has started: its last task received
    is newer than its last task started (one cache read for all). With two waiting and one started
    it says no: it may miss a waiting task, never invent one."""
    keys = [key for queue in queues for key in (_received_key(queue), _started_key(queue))]
    try:
        moments = cache.get_many(keys)
    except Exception:  # giving way is an optimization; the cache may be down
        logger.warning("Could not read the account queues' moments; the task goes on", exc_info=True)
        return False
    return any(
        moments.get(_received_key(queue), 0.0) > moments.get(_started_key(queue), 0.0) for queue in queues
    )


def _note(key: str) -> None:
    try:
        cache.set(key, time.time(), MOMENTS_KEPT)
    except Exception:  # a lost moment only makes a task give way less
        logger.warning("Could not note %s", key, exc_info=True)


def _is_account_queue(queue: str | None) -> bool:
    return bool(queue) and str(queue).startswith(ACCOUNT_QUEUE_PREFIX)


def _received_key(queue: str) -> str:
    return f"giving-way:received:{queue}"


def _started_key(queue: str) -> str:
    return f"giving-way:started:{queue}"
