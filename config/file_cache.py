"""The embedded default's cache: Django's file-based cache with an ``add`` that is atomic across the
processes of one machine.

``crm_integrations/core/coalescing.py`` marks "a run is under way" and "a follow-up is queued" with
``cache.add``, which must succeed for exactly one caller. Redis's ``add`` is (``SET NX``); Django's
``FileBasedCache.add`` is not: it checks for the file, then writes it, so two processes (gunicorn's
and Celery's, in ``make run``) can both win and run two intake rounds where one was meant, or queue
a follow-up twice. Here ``add`` holds an exclusive lock on one file of the cache's folder
(``django.core.files.locks``, ``fcntl`` on Linux) while it checks and writes. Picked in
config/settings/base.py when ``CACHE_URL`` names a file cache.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

#: Not a ``.djcache`` file, so Django's culling and ``clear()`` leave it alone.
LOCK_NAME = "add.lock"


class LockedAddFileCache(FileBasedCache):
    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        self._createdir()  # the folder can be deleted at any time (as FileBasedCache.set allows)
        with open(os.path.join(self._dir, LOCK_NAME), "ab") as lock:
            locks.lock(lock, locks.LOCK_EX)
            try:
                return super().add(key, value, timeout, version)
            finally:
                locks.unlock(lock)
