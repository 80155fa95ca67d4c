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
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import ChannelError, OperationalError

logger = logging.getLogger(__name__)

#: Account queues are named this plus a number (config/task_routing.py).
ACCOUNT_QUEUE_PREFIX = "account-"


def current_queue() -> str | None:
    """The account queue the running Celery task came from, or None (not a task, another queue)."""
    from celery import current_task

    if not current_task or current_task.request.called_directly:  # a proxy: falsy outside a task
        return None
    queue = (current_task.request.delivery_info or {}).get("routing_key") or ""
    return queue if queue.startswith(ACCOUNT_QUEUE_PREFIX) else None


def another_account_waiting() -> bool:
    """A message waits in an account queue other than the running task's own (False outside an
    account task, and when the broker cannot be asked: giving way is an optimization)."""
    from celery import current_app

    own = current_queue()
    if own is None:
        return False
    queues = [
        queue.name
        for queue in current_app.conf.task_queues or ()
        if queue.name.startswith(ACCOUNT_QUEUE_PREFIX) and queue.name != own
    ]
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
