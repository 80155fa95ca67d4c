"""Real Celery workers for a benchmark: ``celery -A config worker`` as the Procfile starts it, on the
database and ``VAR_DIR`` (filesystem broker, file cache, rate-limiter file) of the web processes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError

from .web_server import child_env, stop_process

#: Gossip, mingle and heartbeats only make the start slower; a lone worker needs none of them.
QUIET = ("--without-gossip", "--without-mingle", "--without-heartbeat")
#: As the Procfile's worker: an exhausted API budget is waited for inline at most 1 s, else the task
#: is queued again with a countdown (it holds no process meanwhile).
WORKER_ENV = {"CRM_HTTP_MAX_INLINE_WAIT": "1"}


@contextmanager
def run_worker(
    var_dir: str, concurrency: int = 2, *, extra_env: Mapping[str, str] | None = None, timeout: float = 60
) -> Iterator[Path]:
    """A prefork worker with ``concurrency`` processes; yields its log file once it is ready to take
    tasks, and stops it afterwards (warm shutdown, then a kill)."""
    log_path = Path(var_dir) / "celery-worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--hostname", "benchmark@%h",
        "--concurrency", str(concurrency), "--loglevel", "INFO", *QUIET,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (a fixed command: this interpreter's celery)
            command,
            cwd=settings.BASE_DIR,
            env=child_env(var_dir, **{**WORKER_ENV, **(extra_env or {})}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(process, log_path, timeout)
            yield log_path
        finally:
            stop_process(process, grace=20)


def _wait_until_ready(process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"The Celery worker exited with {process.returncode}:\n{_tail(log)}")
        if b" ready." in log.read_bytes():
            return
        time.sleep(0.2)
    raise CommandError(f"The Celery worker was not ready within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def broker_notes(url: str | None) -> list[str]:
    """What a report should say about the broker's own delay (the filesystem broker polls)."""
    if url:
        return []
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    interval = float(options.get("polling_interval", 1.0))
    return [f"the filesystem broker looks for tasks every {interval:g} s: each task hop may wait that long"]


def broker_name(url: str | None) -> str:
    """The broker for a report (scheme, host and database, never a password)."""
    if not url:
        return "a private filesystem broker"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
