"""`make run` starts web, worker, beat and the HubSpot sandbox on embedded defaults; Ctrl-C stops them all."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

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
    port, sandbox_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES and not k.startswith("DJANGO_")}
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="s" * 50,
        ENCRYPTION_KEYS="k1:" + "A" * 43,
        HUBSPOT_SANDBOX_PORT=str(sandbox_port),
        HUBSPOT_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
    )
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    yield process, port, sandbox_port, tmp_path / "var"
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def test_make_run_serves_the_admin_and_ctrl_c_stops_every_process(make_run):
    process, port, sandbox_port, var_dir = make_run
    _wait_for(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 180, process)
    login_page = _wait_for(f"http://127.0.0.1:{port}/admin/login/", time.monotonic() + 10, process)
    assert b"Log in | Lead Routing admin" in login_page
    assert (var_dir / "db.sqlite3").exists()  # SQLite on the embedded defaults

    children = psutil.Process(process.pid).children(recursive=True)
    commands = " ".join(" ".join(child.cmdline()) for child in children)
    assert "gunicorn" in commands and "worker" in commands and "beat" in commands
    assert "crm_integrations.sandboxes.hubspot" in commands
    health = _wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/health", time.monotonic() + 30, process)
    assert b"ok" in health.lower()
    webhooks = json.loads(
        _wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/webhooks", time.monotonic() + 5, process)
    )
    assert webhooks["targetUrl"] == f"http://127.0.0.1:{port}/api/v1/integrations/hubspot/events"

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does in a terminal
    output, _ = process.communicate(timeout=60)
    assert "Admin login created: admin / " in output
    assert f"http://127.0.0.1:{port}/admin/" in output
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], f"still running after Ctrl-C: {[p.cmdline() for p in alive]}"
