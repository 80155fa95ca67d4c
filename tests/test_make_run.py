"""`make run` starts web, worker, beat and the HubSpot sandbox on embedded defaults; Ctrl-C stops them all."""

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.embedded_defaults]  # real processes (tests/markers.py)

ROOT = Path(__file__).resolve().parent.parent
SERVER_VARIABLES = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "RATE_LIMIT_STORAGE_URL", "REDIS_URL"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, deadline: float, process: subprocess.Popen) -> bytes:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                return response.read()
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"make run exited with {process.returncode}:\n{process.stdout.read()}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture
def make_run(tmp_path):
    """Start `make run` (call again for a second start on the same var/ folder); all are killed at the end."""
    port, sandbox_port, monday_port, salesforce_port = _free_port(), _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES and not k.startswith("DJANGO_")}
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="s" * 50,
        ENCRYPTION_KEYS="k1:" + "A" * 43,
        HUBSPOT_SANDBOX_PORT=str(sandbox_port),
        HUBSPOT_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        MONDAY_SANDBOX_PORT=str(monday_port),
        MONDAY_SANDBOX_URL=f"http://127.0.0.1:{monday_port}",
        SALESFORCE_SANDBOX_URL=f"http://127.0.0.1:{salesforce_port}",  # its port follows its URL
    )
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        started.append(process)
        return process

    yield start, port, (sandbox_port, monday_port), tmp_path / "var"
    for process in started:  # every descendant: honcho starts each process in a session of its own
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(process.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _output_until(process: subprocess.Popen, marker: str, *, seconds: float) -> str:
    """What ``process`` printed up to the first line holding ``marker`` (waiting at most ``seconds``)."""
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                break
        done.set()  # the marker, or the end of the output

    threading.Thread(target=read, daemon=True).start()
    done.wait(seconds)
    output = "".join(lines)
    assert marker in output, f"no {marker!r} within {seconds} s:\n{output}"
    return output


def _ctrl_c(process: subprocess.Popen) -> str:
    """Press Ctrl-C; check every process it started stops; return everything it printed."""
    children = psutil.Process(process.pid).children(recursive=True)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does in a terminal
    output, _ = process.communicate(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], f"still running after Ctrl-C: {[p.cmdline() for p in alive]}"
    return output


def test_make_run_serves_the_admin_and_ctrl_c_stops_every_process(make_run):
    start, port, (sandbox_port, monday_port), var_dir = make_run
    process = start()
    _wait_for(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 180, process)
    login_page = _wait_for(f"http://127.0.0.1:{port}/admin/login/", time.monotonic() + 10, process)
    assert b"Log in | Lead Routing admin" in login_page
    assert (var_dir / "db.sqlite3").exists()  # SQLite on the embedded defaults

    children = psutil.Process(process.pid).children(recursive=True)
    commands = " ".join(" ".join(child.cmdline()) for child in children)
    assert "gunicorn" in commands and "worker" in commands and "beat" in commands
    assert "devtools.sandboxes.hubspot" in commands
    health = _wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/health", time.monotonic() + 30, process)
    assert b"ok" in health.lower()
    assert "devtools.sandboxes.monday" in commands
    monday = _wait_for(f"http://127.0.0.1:{monday_port}/_sandbox/health", time.monotonic() + 30, process)
    assert b"ok" in monday.lower()
    webhooks = json.loads(
        _wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/webhooks", time.monotonic() + 5, process)
    )
    assert webhooks["targetUrl"] == f"http://127.0.0.1:{port}/api/v1/integrations/hubspot/events"

    output = _ctrl_c(process)
    assert "Admin login created: admin / " in output
    assert f"http://127.0.0.1:{port}/admin/" in output

    # A second `make run` reuses the .env, the database and the admin login. It is stopped once
    # set up, before its servers start (the first run covered serving and Ctrl-C).
    dotenv, database = (ROOT / ".env").read_bytes(), (var_dir / "db.sqlite3").stat().st_ino
    again = start()
    output = _output_until(again, f"Admin: http://127.0.0.1:{port}/admin/", seconds=120)
    os.killpg(again.pid, signal.SIGKILL)
    again.wait(timeout=30)
    assert "Admin login 'admin' already exists" in output
    assert "Admin login created" not in output  # no new password
    assert "No migrations to apply." in output
    assert "Wrote " not in output and (ROOT / ".env").read_bytes() == dotenv
    assert (var_dir / "db.sqlite3").stat().st_ino == database
    with sqlite3.connect(var_dir / "db.sqlite3") as db:
        assert db.execute("select username from auth_user").fetchall() == [("admin",)]
