"""The embedded broker (config/embedded_broker.py): consumers see only whole messages, and each
message is taken by exactly one consumer, however many processes poll its queue."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from kombu import Connection

from config.celery import app
from config.embedded_broker import LISTING_REUSE, PARTIAL_SUFFIX, Transport


def _connection(folder: Path) -> Connection:
    queue = folder / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    options = {"data_folder_in": str(queue), "data_folder_out": str(queue), "polling_interval": 0.01}
    return Connection("filesystem://", transport_options=options)


def test_filesystem_urls_use_the_embedded_broker():
    with app.connection_for_write() as connection:
        if connection.transport_cls == "filesystem":
            assert isinstance(connection.transport, Transport)
    assert isinstance(_connection(Path("/tmp")).transport, Transport)


def test_a_message_being_written_is_not_taken(tmp_path):
    connection = _connection(tmp_path)
    channel = connection.channel()
    channel._put("work", {"n": 1})
    [name] = os.listdir(tmp_path / "queue")
    (tmp_path / "queue" / f"1_half.work.msg{PARTIAL_SUFFIX}").write_bytes(b'{"n": ')  # mid-write

    assert channel._get("work") == {"n": 1}
    assert not name.endswith(PARTIAL_SUFFIX)
    assert os.listdir(tmp_path / "queue") == [f"1_half.work.msg{PARTIAL_SUFFIX}"]  # left alone


def test_queue_lengths_count_whole_messages_of_each_queue(tmp_path):
    channel = _connection(tmp_path).channel()
    for queue, count in (("account-1", 3), ("account-2", 1)):
        for n in range(count):
            channel._put(queue, {"n": n})
    (tmp_path / "queue" / f"1_half.account-2.msg{PARTIAL_SUFFIX}").write_bytes(b'{"n": ')  # mid-write

    sizes = {
        queue: channel.queue_declare(queue=queue, passive=True).message_count
        for queue in ("account-1", "account-2", "account-3")
    }

    assert sizes == {"account-1": 3, "account-2": 1, "account-3": 0}
    channel._get("account-1")
    time.sleep(LISTING_REUSE)  # one listing serves every queue for this long
    assert channel.queue_declare(queue="account-1", passive=True).message_count == 2


def _drain(folder: str, results) -> None:
    channel = _connection(Path(folder)).channel()
    taken = []
    misses = 0
    while misses < 50:
        try:
            taken.append(channel._get("work")["n"])
            misses = 0
        except Exception:  # queue.Empty
            misses += 1
    results.put(taken)


def test_four_processes_take_each_of_2000_messages_exactly_once(tmp_path):
    producer = _connection(tmp_path).channel()
    for n in range(2000):
        producer._put("work", {"n": n})
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_drain, args=(str(tmp_path), results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    taken = [n for _ in workers for n in results.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)

    assert sorted(taken) == list(range(2000))  # none lost, none twice
    assert not os.listdir(tmp_path / "claimed")


def test_one_listing_of_the_folder_hands_out_many_messages(tmp_path, monkeypatch):
    channel = _connection(tmp_path).channel()
    for n in range(50):
        channel._put("work", {"n": n})
        channel._put("other", {"n": 100 + n})
    listings = []
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: listings.append(path) or real_listdir(path))

    work = [channel._get("work")["n"] for _ in range(50)]
    other = [channel._get("other")["n"] for _ in range(50)]

    # Each queue's own messages, each once (order within one millisecond is the names' uuid's).
    assert sorted(work) == list(range(50)) and sorted(other) == list(range(100, 150))
    assert len(listings) == 1  # not one scan of the folder per message
