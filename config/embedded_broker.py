"""The embedded broker (``filesystem://``, `make run`'s default) with whole messages, each taken once.

kombu's filesystem transport writes a message straight into the queue folder and a consumer takes
it with ``shutil.move`` into the system's temporary folder, which breaks in two ways once several
worker processes poll several queues (config/task_routing.py spreads work over eight):

* a consumer can take a file while its producer is still writing it (the producer's ``flock`` is
  advisory and the consumer never asks for it): the worker reads half a JSON document and dies with
  "Unrecoverable error: JSONDecodeError";
* where the temporary folder is on another filesystem, ``shutil.move`` is a copy and a delete, so two
  consumers can both copy one file and run its task twice.

This transport writes each message under a name no consumer looks at and renames it into place, and
takes a message by renaming it into a ``claimed`` folder beside the queue: a rename within one
filesystem is atomic, so a consumer sees only whole messages and exactly one consumer wins each.
``config/celery.py`` registers it for the ``filesystem://`` URL; Redis in production is unaffected.

One listing of the folder (sorted: names start with their time) serves every queue until that
queue's names run out, at most one listing per ``LISTING_REUSE`` seconds: listing and sorting the
folder for every message handed out cost the consumer most of a core with 2,000 messages waiting (a
monday burst of 1,000 items: py-spy, docs/benchmarks.md), and the worker processes waited on it.
"""

from __future__ import annotations

import os
import uuid
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

#: Files being written end so; ``_get`` only takes names ending in ``.<queue>.msg``.
PARTIAL_SUFFIX = ".partial"
#: Seconds within which an empty queue is not listed again (below the worker's polling interval).
LISTING_REUSE = 0.01


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb", buffering=0) as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)  # whole, or not there at all
        except OSError as error:
            raise ChannelError(f"Cannot add a message to {self.data_folder_out!r}") from error

    def _get(self, queue: str) -> Any:
        claimed = Path(self.data_folder_in).parent / "claimed"
        if not getattr(self, "_claimed_ready", False):
            claimed.mkdir(parents=True, exist_ok=True)
            self._claimed_ready = True
        for name in self._waiting(queue):
            mine = claimed / f"{os.getpid()}-{name}"
            try:
                os.rename(os.path.join(self.data_folder_in, name), mine)  # one consumer wins
            except OSError:
                continue  # another consumer took it first
            try:
                payload = mine.read_bytes()
            finally:
                mine.unlink(missing_ok=True)
            return loads(bytes_to_str(payload))
        raise Empty()

    def _waiting(self, queue: str) -> Iterator[str]:
        """The queue's names oldest first, from the last listing, listing again when it has none."""
        listed: dict[str, deque[str]] = getattr(self, "_listed", {})
        if (
            not listed.get(queue)
            and monotonic() - getattr(self, "_listed_at", -LISTING_REUSE) >= LISTING_REUSE
        ):
            listed = {}
            for name in sorted(os.listdir(self.data_folder_in)):
                if queue_of := _queue_of(name):
                    listed.setdefault(queue_of, deque()).append(name)
            self._listed, self._listed_at = listed, monotonic()
        pending = listed.get(queue)
        while pending:
            yield pending.popleft()

    def _size(self, queue: str) -> int:
        """Messages waiting in ``queue``, from one listing of the folder per ``LISTING_REUSE`` s for
        all queues: a task asking for every account queue's length between two batches
        (crm_integrations/core/giving_way.py) lists the folder once, not once a queue."""
        if monotonic() - getattr(self, "_counted_at", -LISTING_REUSE) >= LISTING_REUSE:
            counts: dict[str, int] = {}
            for name in os.listdir(self.data_folder_in):
                if queue_of := _queue_of(name):
                    counts[queue_of] = counts.get(queue_of, 0) + 1
            self._counts, self._counted_at = counts, monotonic()
        return self._counts.get(queue, 0)


def _queue_of(name: str) -> str | None:
    """The queue of a message file ``<time>_<uuid>.<queue>.msg``; None for a file being written."""
    suffix = name.partition(".")[2]
    return suffix[: -len(".msg")] if suffix.endswith(".msg") else None


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    """Make ``filesystem://`` mean this transport (called by config/celery.py before any connection)."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
