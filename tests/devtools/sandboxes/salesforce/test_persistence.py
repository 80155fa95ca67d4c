"""``--state-file`` for the Salesforce sandbox (devtools/sandboxes/salesforce/snapshot.py): a restart keeps
records, id counters, tokens and API usage; an unusable file is moved aside; the CLI saves on SIGTERM and
``manage.py run_sandbox salesforce`` takes the same options. The saving machinery itself is shared and
tested in tests/devtools/sandboxes/hubspot/test_persistence.py."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command

from devtools.management.commands.run_sandbox import Command
from devtools.sandboxes.salesforce import cli, start_sandbox
from devtools.sandboxes.salesforce.seed import REP_IDS
from devtools.sandboxes.salesforce.snapshot import FORMAT, FORMAT_VERSION
from tests.devtools.sandboxes.launching import launcher

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "salesforce-sandbox.json"


@pytest.fixture
def launch(state_path: Path) -> Iterator[Any]:
    with launcher(start_sandbox, state_path, seed_leads=5) as start:
        yield start


def _query(sandbox: Any, token: str, text: str) -> requests.Response:
    return sandbox.control.rest("GET", "query", token=token, params={"q": text})


def test_records_counters_tokens_and_usage_survive_a_restart(launch, state_path):
    first = launch()
    granted = first.control.tokens()
    created = first.control.rest(
        "POST",
        "sobjects/Lead",
        token=granted["access_token"],
        json={"LastName": "Kept", "Company": "K", "OwnerId": REP_IDS[0]},
        headers={"Sforce-Auto-Assign": "FALSE"},
    ).json()["id"]
    revoked = first.control.access_token()
    first.control.revoke_token(revoked)
    first.control.advance_clock(60)
    first.stop()
    saved = json.loads(state_path.read_text())
    assert (saved["format"], saved["version"]) == (FORMAT, FORMAT_VERSION)

    second = launch()
    lead = second.control.record("Lead", created)
    assert (lead["LastName"], lead["OwnerId"]) == ("Kept", REP_IDS[0])
    assert second.control.usage()["used"] == 1
    assert second.control.clock()["offsetSeconds"] == pytest.approx(60)
    assert _query(second, granted["access_token"], "SELECT COUNT() FROM Lead").json()["totalSize"] == 6
    assert _query(second, revoked, "SELECT Id FROM User").status_code == 401
    refreshed = requests.post(
        f"{second.base_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": granted["refresh_token"],
            "client_id": "sandbox-salesforce-client-id",
            "client_secret": "sandbox-salesforce-client-secret",
        },
        timeout=10,
    )
    assert refreshed.status_code == 200
    another = second.control.rest(
        "POST", "sobjects/Lead", token=granted["access_token"], json={"LastName": "N", "Company": "C"}
    )
    assert another.json()["id"] > created  # the id counter went on


def test_a_reset_is_saved(launch, state_path):
    first = launch()
    first.control.create_record("Lead", {"LastName": "Gone", "Company": "G"})
    first.control.reset()
    first.save()
    assert len(json.loads(state_path.read_text())["records"]["Lead"]) == 5


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "Expecting property name"),
        (b'{"format": "other"}', "not a salesforce-sandbox-state file"),
    ],
)
def test_an_unusable_file_is_moved_aside(launch, state_path, content, reason):
    state_path.parent.mkdir(parents=True)
    state_path.write_bytes(content)
    sandbox = launch()
    assert sandbox._persistence is not None and reason in sandbox._persistence.status
    [aside] = list(state_path.parent.glob("salesforce-sandbox.json.corrupt-*"))
    assert aside.read_bytes() == content
    assert sandbox.control.usage()["used"] == 0 and len(sandbox.control.seeded()["Lead"]) == 5


def test_the_django_command_takes_the_clis_options(monkeypatch):
    parser = Command().create_parser("manage.py", "run_sandbox")
    options = vars(
        parser.parse_args(
            ["salesforce", "--seed-leads", "7", "--refresh-token-rotation", "--outbound-url", "http://x/o"]
        )
    )
    config = cli.config_from_options(options)
    assert (
        config.seed_leads,
        config.refresh_token_rotation,
        config.outbound_url,
        config.assignment_rule,
    ) == (
        7,
        True,
        "http://x/o",
        True,
    )
    served = []
    monkeypatch.setattr(cli, "run", lambda options, announce: served.append(options))
    call_command("run_sandbox", "salesforce", "--port", "0", "--no-assignment-rule")
    assert served[0]["port"] == 0 and cli.config_from_options(served[0]).assignment_rule is False


def test_the_cli_saves_on_sigterm_and_restores_on_the_next_start(state_path):
    def start() -> tuple[subprocess.Popen[str], str, str]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.sandboxes.salesforce",
                "--port",
                "0",
                "--seed-leads",
                "3",
                "--state-file",
                str(state_path),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        base_url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        process.stdout.readline()  # the org, client id and outbound line
        return process, base_url, process.stdout.readline().strip()

    process, base_url, status = start()
    try:
        assert status.startswith("No state file yet")
        requests.post(
            f"{base_url}/_sandbox/records/Lead",
            json={"fields": {"LastName": "Durable", "Company": "D"}},
            timeout=10,
        )
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)  # honcho's second signal must not break the save
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    process, base_url, status = start()
    try:
        assert status.startswith("State restored from")
        leads = requests.get(f"{base_url}/_sandbox/seeded", timeout=10).json()["Lead"]
        assert len(leads) == 4
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
