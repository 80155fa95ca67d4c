"""Starting the sandbox: CLI process, Django command options, and independence from Django."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from devtools.sandboxes.hubspot import cli

ROOT = Path(__file__).resolve().parents[4]


def test_cli_options_become_config():
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = vars(
        parser.parse_args(
            [
                "--port",
                "0",
                "--seed-leads",
                "300",
                "--portal-id",
                "24000009",
                "--client-id",
                "abc",
                "--webhook-url",
                "http://127.0.0.1:9/hook",
            ]
        )
    )
    config = cli.config_from_options(options)
    assert config.portal_ids == (24000009,)
    assert config.seed_leads == 300 and config.client_id == "abc"
    assert config.webhook_target_url == "http://127.0.0.1:9/hook"
    assert config.client_secret == "sandbox-client-secret"


def test_django_command_takes_the_same_options():
    from devtools.management.commands.run_sandbox import Command

    parser = Command().create_parser("manage.py", "run_sandbox")
    options = vars(parser.parse_args(["hubspot", "--portal-id", "7", "--rotate-refresh-tokens"]))
    assert options["provider"] == "hubspot"
    config = cli.config_from_options(options)
    assert config.portal_ids == (7,) and config.rotate_refresh_tokens is True


def test_module_runs_prints_its_url_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.sandboxes.hubspot", "--port", "0", "--seed-leads", "5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        base_url = line.rsplit(" ", 1)[1].strip()
        assert requests.get(base_url + "/_sandbox/health", timeout=10).json()["portals"] == [24000001]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_the_sandbox_imports_no_django():
    code = (
        "import sys, devtools.sandboxes.hubspot.app, devtools.sandboxes.hubspot.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
