"""Real Celery workers for a benchmark: ``celery -A config worker`` as the Procfile starts it, on the
database and ``VAR_DIR`` (filesystem broker, file cache, rate-limiter file) of the web processes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
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
    var_dir: str,
    concurrency: int = 2,
    *,
    prompt_lane: bool = True,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Iterator[Path]:
    """A prefork worker with ``concurrency`` processes and, as the Procfile starts them, the prompt
    lane's own one-process worker (``prompt_lane``; config/task_routing.py); yields the first's log
    file once both are ready to take tasks, and stops them afterwards (warm shutdown, then a kill).
    The prompt worker logs to ``celery-prompt.log`` beside it."""
    env = child_env(var_dir, **{**WORKER_ENV, **(extra_env or {})})
    folder = Path(var_dir)
    with ExitStack() as workers:
        log_path = workers.enter_context(
            _celery_worker(folder / "celery-worker.log", env, timeout, "benchmark", concurrency)
        )
        if prompt_lane:
            lane = ("--queues", settings.CELERY_PROMPT_QUEUE)
            prompt_log = folder / "celery-prompt.log"
            workers.enter_context(_celery_worker(prompt_log, env, timeout, "prompt", 1, lane))
        yield log_path


@contextmanager
def _celery_worker(
    log_path: Path,
    env: dict[str, str],
    timeout: float,
    name: str,
    concurrency: int,
    queues: tuple[str, ...] = (),
) -> Iterator[Path]:
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--hostname", f"{name}@%h",
        "--concurrency", str(concurrency), *queues, "--loglevel", "INFO", *QUIET,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (a fixed command: this interpreter's celery)
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
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
