"""CPU time of a benchmark's process groups while it runs: gunicorn ("web"), Celery ("worker"), the
PostgreSQL backends serving the benchmark's database ("database") and the sandbox, which runs in
this process's threads ("sandbox": this process minus its main thread and the sampler itself).

A thread samples every group's cumulative CPU seconds (user + system) a few times a second; a
process that ends keeps the CPU it was last seen with. ``cpu_between`` interpolates the samples at
two moments, so a window picked afterwards (the worker-scaling benchmark's drain, from the
sandbox's timestamps: devtools/benchmarks/routing/scaling.py) gets its own share. With ``pin``, the
web and worker groups are moved onto CPUs of their own as they appear (separate machines, as far as
one machine can imitate them); the sandbox goes with the web group.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil

GROUPS = ("web", "worker", "database", "sandbox")
#: How often the PostgreSQL backends are looked for again (new connections appear as the app runs).
DISCOVER_EVERY = 0.5


def _group_of(process: psutil.Process) -> str | None:
    try:
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if "gunicorn" in command:
        return "web"
    if "celery" in command:
        return "worker"
    return None


def _database_backends(database: str) -> list[psutil.Process]:
    """PostgreSQL backends connected to ``database`` ("postgres: user database host(port) ...")."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        command = " ".join(process.info["cmdline"] or ())
        if command.startswith("postgres:") and f" {database} " in f"{command} ":
            found.append(process)
    return found


@dataclass
class CpuSampler:
    """Samples (wall time, CPU seconds per group) from ``start`` to ``stop``. ``database``: the
    PostgreSQL database name whose backends count (None: SQLite, whose work is the app's own)."""

    database: str | None = None
    interval: float = 0.2
    pin: Mapping[str, set[int]] | None = None  # group -> CPUs, for "web" and "worker"
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    _seen: dict[int, tuple[str, float]] = field(default_factory=dict)  # pid -> (group, CPU seconds)
    _pinned: set[int] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _backends: list[psutil.Process] = field(default_factory=list)
    _discovered: float = 0.0

    def start(self) -> None:
        if self.pin and "web" in self.pin:
            os.sched_setaffinity(0, self.pin["web"])  # the sandbox's threads go with the web
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self.pin:
            os.sched_setaffinity(0, range(os.cpu_count() or 1))

    def _loop(self) -> None:
        own = threading.get_native_id()
        while not self._stop.is_set():
            self.samples.append((time.time(), self._sample(own)))
            self._stop.wait(self.interval)
        self.samples.append((time.time(), self._sample(own)))

    def _sample(self, own_thread: int) -> dict[str, float]:
        me = psutil.Process()
        for process in me.children(recursive=True):
            if (group := _group_of(process)) is not None:
                self._record(process, group)
        if self.database is not None:
            if time.monotonic() - self._discovered > DISCOVER_EVERY:
                self._backends, self._discovered = _database_backends(self.database), time.monotonic()
            for process in self._backends:
                self._record(process, "database")
        totals = dict.fromkeys(GROUPS, 0.0)
        for group, seconds in self._seen.values():
            totals[group] += seconds
        totals["sandbox"] = _sandbox_seconds(me, own_thread)
        return totals

    def _record(self, process: psutil.Process, group: str) -> None:
        try:
            times = process.cpu_times()
            if self.pin and group in self.pin and process.pid not in self._pinned:
                process.cpu_affinity(sorted(self.pin[group]))
                self._pinned.add(process.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return
        self._seen[process.pid] = (group, times.user + times.system)

    def cpu_between(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds per group between two wall times (``time.time()``), interpolated."""
        at_start, at_end = self._at(start), self._at(end)
        return {group: max(0.0, at_end[group] - at_start[group]) for group in GROUPS}

    def _at(self, moment: float) -> dict[str, float]:
        if not self.samples:
            return dict.fromkeys(GROUPS, 0.0)
        times = [when for when, _ in self.samples]
        index = bisect.bisect_left(times, moment)
        if index == 0:
            return dict(self.samples[0][1])
        if index >= len(self.samples):
            return dict(self.samples[-1][1])
        (t0, before), (t1, after) = self.samples[index - 1], self.samples[index]
        share = (moment - t0) / (t1 - t0) if t1 > t0 else 1.0
        return {group: before[group] + share * (after[group] - before[group]) for group in GROUPS}


def database_to_sample(fresh_db: bool) -> str | None:
    """The PostgreSQL database whose backends are the "database" group: the configured one, unless
    the run has a fresh SQLite file or the configured database is SQLite (its work is the app's own)."""
    from django.db import connection

    return None if fresh_db or connection.vendor == "sqlite" else str(connection.settings_dict["NAME"])


def _sandbox_seconds(me: psutil.Process, own_thread: int) -> float:
    """This process's CPU but for its main thread (the benchmark itself) and the sampler's."""
    times = me.cpu_times()
    skip = {threading.main_thread().native_id, own_thread}
    others = sum(t.user_time + t.system_time for t in me.threads() if t.id in skip)
    return max(0.0, times.user + times.system - others)


@contextmanager
def sampling(
    database: str | None = None, *, pin: Mapping[str, set[int]] | None = None, interval: float = 0.2
) -> Iterator[CpuSampler]:
    """A running ``CpuSampler`` for the block."""
    sampler = CpuSampler(database=database, pin=pin, interval=interval)
    sampler.start()
    try:
        yield sampler
    finally:
        sampler.stop()
