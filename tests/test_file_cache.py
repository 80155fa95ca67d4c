"""The embedded default's cache (config/file_cache.py): ``add`` succeeds for exactly one of several
processes racing for the same key, as ``crm_integrations/core/coalescing.py`` needs (Django's own
``FileBasedCache.add`` checks, then writes)."""

from __future__ import annotations

import multiprocessing

from django.core.cache.backends.filebased import FileBasedCache

from config.file_cache import LockedAddFileCache

KEYS = 300
PROCESSES = 4


def _race(backend: type[FileBasedCache], folder: str, start, wins) -> None:
    cache = backend(folder, {})
    start.wait()
    won = [key for key in range(KEYS) if cache.add(f"run:{key}", 1, timeout=60)]
    wins.put(won)


def winners(backend: type[FileBasedCache], folder: str) -> list[int]:
    context = multiprocessing.get_context("fork")
    start, wins = context.Event(), context.Queue()
    racers = [context.Process(target=_race, args=(backend, folder, start, wins)) for _ in range(PROCESSES)]
    for racer in racers:
        racer.start()
    start.set()
    won = [key for _ in racers for key in wins.get(timeout=60)]
    for racer in racers:
        racer.join(timeout=60)
    return won


def test_each_key_is_added_by_exactly_one_process(tmp_path):
    won = winners(LockedAddFileCache, str(tmp_path))
    assert sorted(won) == list(range(KEYS))


def test_an_expired_key_can_be_added_again_and_clear_keeps_the_lock_file(tmp_path):
    cache = LockedAddFileCache(str(tmp_path), {})
    assert cache.add("k", 1, timeout=-1)  # already expired
    assert cache.add("k", 2, timeout=60) and not cache.add("k", 3, timeout=60)
    assert cache.get("k") == 2
    cache.clear()
    assert cache.add("k", 4, timeout=60)
