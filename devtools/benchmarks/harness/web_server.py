"""The real app served over real HTTP for a benchmark: gunicorn, as ``make run``'s web process.

The web processes share this process's database (the test database under pytest) but get a
private ``VAR_DIR`` in a temporary folder, so the tasks they enqueue land in a private filesystem
broker that no running worker picks up: the benchmark processes the deliveries itself. A benchmark
that wants real workers passes its own ``var_dir`` and starts them there (``worker.run_worker``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection


def database_url(db: Mapping[str, Any]) -> str:
    """A ``DATABASE_URL`` for the database this process uses (SQLite file or PostgreSQL)."""
    engine, name = db["ENGINE"], str(db["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or name.startswith("file:"):
            raise CommandError("An in-memory SQLite database cannot be shared with the web processes.")
        return f"sqlite:///{Path(name).resolve()}"
    if "postgresql" in engine:
        auth = f"{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
        return f"postgres://{auth}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(name, safe='')}"
    raise CommandError(f"No DATABASE_URL form for the {engine} backend.")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(var_dir: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's app process: this process's settings module and database,
    ``var_dir`` for the filesystem broker, file cache and rate-limiter file, plus ``extra``."""
    return {
        **os.environ,
        # (``settings.SETTINGS_MODULE`` is None while settings are overridden, as in tests.)
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE,
        "DATABASE_URL": database_url(connection.settings_dict),
        "VAR_DIR": var_dir,
        "CELERY_BROKER_URL": "filesystem://",
        "ALLOWED_HOSTS": "127.0.0.1",
        **extra,
    }


@contextmanager
def serve_app(
    workers: int = 2,
    ready_path: str = "/",
    timeout: float = 30,
    *,
    var_dir: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    access_log: bool = False,
    port: int | None = None,
) -> Iterator[str]:
    """Run ``gunicorn config.wsgi:application`` (config/gunicorn_conf.py, as the Procfile) on a free
    loopback port; yields its base URL once ``ready_path`` answers, and stops it afterwards. Without
    ``var_dir``, a temporary one of its own (see the module's docstring). ``access_log``: gunicorn's
    access log (secrets masked, as in the Procfile) goes to ``gunicorn.log`` there too. ``port``: a
    given one instead of a free one (the reliability drills restart the app where the sandbox's
    webhook retries will look for it)."""
    port = port or _free_port()
    with tempfile.TemporaryDirectory(prefix="lead-routing-benchmark-") as own_var_dir:
        var_dir = var_dir or own_var_dir
        env = child_env(var_dir, **(extra_env or {}))
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--config", "config/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        ]  # fmt: skip
        if access_log:
            command += ["--access-logfile", "-"]
        log_path = Path(var_dir) / "gunicorn.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (a fixed command: this interpreter's gunicorn)
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                _wait_until_ready(process, base_url + ready_path, timeout, log_path)
                yield base_url
            finally:
                stop_process(process, grace=10)


def stop_process(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds: how gunicorn and Celery (worker.py) are stopped."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:  # not listening yet, or a worker still booting
            time.sleep(0.1)
    raise CommandError(f"gunicorn did not answer within {timeout:.0f} s:\n{log.read_text()[-2000:]}")
