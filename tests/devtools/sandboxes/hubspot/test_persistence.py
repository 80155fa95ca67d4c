"""``--state-file``: the whole state survives a restart, unusable files are moved aside, writes are atomic."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devtools.sandboxes import state_file as state_file_module
from devtools.sandboxes.hubspot import RunningSandbox, cli, start_sandbox
from devtools.sandboxes.hubspot.snapshot import FORMAT, FORMAT_VERSION
from tests.devtools.sandboxes.launching import launcher

from .conftest import Api, Receiver

ROOT = Path(__file__).resolve().parents[4]
CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "hubspot-sandbox.json"


@pytest.fixture
def launch(state_path: Path) -> Iterator[Any]:
    """Start sandboxes on ``state_path`` (small, saving quickly); all are stopped at the end."""
    with launcher(start_sandbox, state_path, seed_leads=5) as start:
        yield start


def refresh(base_url: str, refresh_token: str) -> requests.Response:
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token, **CLIENT}
    return requests.post(base_url + "/oauth/v1/token", data=body, timeout=10)


def read_state(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def contact_ids(sandbox: RunningSandbox) -> set[int]:
    return set(sandbox.state.portal().records["contacts"])


# --- a restart keeps the state --------------------------------------------------------------------
def test_tokens_records_and_ids_survive_a_restart(launch, state_path):
    first = launch()
    tokens = first.control.token()
    api = Api(first.base_url, tokens["access_token"])
    created = api.post("/crm/v3/objects/contacts", {"properties": {"email": "ada@example.org"}})
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    updated = api.patch(f"/crm/v3/objects/contacts/{contact_id}", {"properties": {"firstname": "Ada"}})
    assert updated.status_code == 200, updated.text
    file_id = next(iter(first.state.portal().files))
    file_before = api.get(f"/files/v3/files/{file_id}").json()
    signed = api.get(f"/files/v3/files/{file_id}/signed-url?expirationSeconds=600").json()["url"]
    ids_before = contact_ids(first)
    first.stop()

    second = launch()
    again = Api(second.base_url, tokens["access_token"])  # the old access token still works
    found = again.get(f"/crm/v3/objects/contacts/{contact_id}?propertiesWithHistory=firstname")
    assert found.status_code == 200, found.text
    assert found.json()["properties"]["email"] == "ada@example.org"
    assert found.json()["properties"]["firstname"] == "Ada"
    assert [item["value"] for item in found.json()["propertiesWithHistory"]["firstname"]] == ["Ada"]
    assert contact_ids(second) == ids_before

    renewed = refresh(second.base_url, tokens["refresh_token"])  # so does the refresh token
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["refresh_token"] == tokens["refresh_token"]
    assert Api(second.base_url, renewed.json()["access_token"]).get("/crm/v3/objects/contacts").ok

    newer = again.post("/crm/v3/objects/contacts", {"properties": {"email": "grace@example.org"}})
    assert newer.status_code == 201, newer.text
    assert int(newer.json()["id"]) > max(ids_before)  # ids continue, no collision

    assert again.get(f"/files/v3/files/{file_id}").json()["fileMd5"] == file_before["fileMd5"]
    moved = signed.replace(first.base_url, second.base_url)  # a signed URL from before still verifies
    assert requests.get(moved, timeout=10).status_code == 200


def test_token_expiry_and_revocation_are_kept(launch):
    first = launch()
    short = first.control.token()
    first.control.expire_tokens(access_token=short["access_token"])
    revoked = first.control.token()
    first.control.revoke_refresh_token(revoked["refresh_token"])
    first.stop()

    second = launch()
    expired = Api(second.base_url, short["access_token"]).get("/crm/v3/objects/contacts")
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert refresh(second.base_url, revoked["refresh_token"]).status_code == 400
    assert refresh(second.base_url, short["refresh_token"]).status_code == 200


def test_webhook_and_workflow_settings_and_event_ids_survive(launch, receiver: Receiver):
    first = launch()
    subscriptions = [{"subscriptionType": "contact.propertyChange", "propertyName": "firstname"}]
    first.control.configure_webhooks(targetUrl=receiver.url, subscriptions=subscriptions)
    action = {"targetUrl": receiver.url, "stageId": "closedwon", "signatureVersion": "v2"}
    first.control.configure_workflows(actions=[action], timeout=7)
    contact_id = next(iter(contact_ids(first)))
    first.control.update_record("contacts", str(contact_id), {"firstname": "Before"})
    first_event = receiver.wait_for(1)[0].json()[0]["eventId"]
    first.stop()

    second = launch()
    hooks = second.control.configure_webhooks()
    assert hooks["targetUrl"] == receiver.url
    assert [item["propertyName"] for item in hooks["subscriptions"]] == ["firstname"]
    flows = second.control.configure_workflows()
    assert [item["stageId"] for item in flows["actions"]] == ["closedwon"] and flows["timeout"] == 7
    second.control.update_record("contacts", str(contact_id), {"firstname": "After"})
    second_event = receiver.wait_for(2)[1].json()[0]["eventId"]
    assert second_event > first_event  # receivers that de-duplicate by eventId still see it


def test_seeded_state_is_written_at_once_and_changes_soon_after(launch, state_path):
    sandbox = launch()
    wait_until(state_path.exists)
    saved = read_state(state_path)
    assert saved["format"] == FORMAT and saved["version"] == FORMAT_VERSION
    assert [portal["portalId"] for portal in saved["portals"]] == [24000001]
    token = sandbox.control.access_token()  # no stop(): the background saver alone must write it
    wait_until(lambda: token in {item["token"] for item in read_state(state_path)["tokens"]["access"]})


def test_saves_are_debounced(state_path):
    sandbox = start_sandbox(seed_leads=0, state_file=str(state_path), state_save_interval=0.2)
    persistence = sandbox._services.persistence
    assert persistence is not None
    saves: list[float] = []
    real_save = persistence.save

    def counting_save() -> None:
        saves.append(time.monotonic())
        real_save()

    persistence.save = counting_save  # type: ignore[method-assign]
    try:
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            sandbox.control.token()  # a change every few milliseconds
        elapsed = time.monotonic() - started
    finally:
        sandbox.stop()
    assert 2 <= len(saves) <= elapsed / 0.2 + 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(saves[:-1])]  # the last: stop()
    assert all(gap >= 0.19 for gap in gaps)


def test_reset_through_the_control_api_is_saved_too(launch):
    first = launch()
    first.control.seed_leads(3)
    leads = len(first.state.portal().records["leads"])
    first.stop()
    second = launch()
    assert len(second.state.portal().records["leads"]) == leads == 8
    added = second.control.seed_leads(2)  # the next deterministic batch, with fresh ids
    assert int(added["firstId"]) > max(second.state.portal().records["leads"]) - 2


# --- unusable files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"format": "hubspot-sandbox-state", "version": 1, "portals": [', "Expecting"),
        (b"\x80\x81 not even text", "codec"),
        ('{"format": "hubspot-sandbox-state", "version": 999}', "format version 999"),
        ('{"format": "something else"}', "not a hubspot-sandbox-state file"),
        ('{"format": "hubspot-sandbox-state", "version": 1, "seed": 1}', "malformed state"),
    ],
)
def test_an_unusable_file_is_moved_aside_and_a_fresh_state_seeded(
    launch, state_path, caplog, content, reason
):
    state_path.parent.mkdir(parents=True)
    raw = content if isinstance(content, bytes) else content.encode()
    state_path.write_bytes(raw)
    with caplog.at_level(logging.WARNING):
        sandbox = launch()
    aside = list(state_path.parent.glob("hubspot-sandbox.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == raw
    assert any(reason in r.getMessage() and str(aside[0]) in r.getMessage() for r in caplog.records)
    assert len(sandbox.state.portal().records["leads"]) == 5  # seeded afresh
    assert "moved to" in sandbox._services.persistence.status
    wait_until(lambda: state_path.exists() and read_state(state_path)["version"] == FORMAT_VERSION)


def test_a_file_for_other_portals_is_moved_aside(launch, state_path):
    launch(portal_id=24000009).stop()
    sandbox = launch()
    assert list(sandbox.state.portals) == [24000001]
    assert len(list(state_path.parent.glob("*.corrupt-*"))) == 1


def test_moving_aside_never_overwrites_an_earlier_corrupt_file(tmp_path):
    path = tmp_path / "state.json"
    for number in range(3):
        path.write_text(f"bad {number}")
        state_file_module.move_aside(path, now=None)
    assert sorted(p.read_text() for p in tmp_path.glob("state.json.corrupt-*")) == ["bad 0", "bad 1", "bad 2"]


# --- atomic writes --------------------------------------------------------------------------------
def test_a_save_writes_a_synced_temp_file_in_the_same_folder_then_renames_it(launch, state_path, monkeypatch):
    sandbox = launch(state_save_interval=60)  # no background save racing the one watched here
    calls: list[tuple[str, Any]] = []
    real_replace, real_fsync = os.replace, os.fsync

    def spy_fsync(fd: int) -> None:
        calls.append(("fsync", fd))
        real_fsync(fd)

    def spy_replace(source: str, target: Any) -> None:
        calls.append(("replace", (Path(source), Path(target))))
        assert json.loads(Path(source).read_bytes())["format"] == FORMAT  # complete before the rename
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    sandbox.save()
    kinds = [kind for kind, _ in calls]
    assert kinds.index("fsync") < kinds.index("replace")
    source, target = next(value for kind, value in calls if kind == "replace")
    assert target == state_path.resolve() and source.parent == target.parent and source != target
    assert not source.exists()
    assert list(state_path.parent.glob("*.tmp")) == []


def test_readers_never_see_a_half_written_file(tmp_path):
    path = tmp_path / "state.json"
    documents = [json.dumps({"n": n, "pad": "x" * (200_000 + n * 5_000)}).encode() for n in range(6)]
    state_file_module.write_atomically(path, documents[0])
    done = threading.Event()
    problems: list[str] = []
    reads = 0

    def reader() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                json.loads(path.read_bytes())
                reads += 1
            except (ValueError, OSError) as exc:
                problems.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round_number in range(60):
            state_file_module.write_atomically(path, documents[round_number % len(documents)])
    finally:
        done.set()
        thread.join()
    assert problems == [] and reads > 0
    assert list(tmp_path.glob("*.tmp")) == []


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    state_file_module.write_atomically(path, b'{"old": true}')

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        state_file_module.write_atomically(path, b'{"new": true}')
    assert json.loads(path.read_bytes()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


# --- options and processes ------------------------------------------------------------------------
def test_without_a_state_file_nothing_is_persisted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sandbox = start_sandbox(seed_leads=0)
    try:
        assert sandbox._services.persistence is None
        sandbox.control.token()
        sandbox.save()  # a no-op
    finally:
        sandbox.stop()
    assert list(tmp_path.iterdir()) == []


def test_state_file_option_on_the_cli_and_the_django_command(tmp_path):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.config_from_options(vars(parser.parse_args([]))).state_file is None
    options = vars(parser.parse_args(["--state-file", str(tmp_path / "s.json")]))
    assert cli.config_from_options(options).state_file == str(tmp_path / "s.json")

    from devtools.management.commands.run_sandbox import Command

    command_parser = Command().create_parser("manage.py", "run_sandbox")
    parsed = vars(command_parser.parse_args(["hubspot", "--state-file", "var/hubspot.json"]))
    assert cli.config_from_options(parsed).state_file == "var/hubspot.json"


def run_module(state_path: Path) -> tuple[subprocess.Popen[str], str, str]:
    """Start ``python -m ...hubspot --state-file``; returns the process, its base URL and its state line."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.sandboxes.hubspot",
            "--port",
            "0",
            "--seed-leads",
            "5",
            "--state-file",
            str(state_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base_url = process.stdout.readline().rsplit(" ", 1)[1].strip()
    return process, base_url, process.stdout.readline().strip()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_cli_saves_on_a_stop_signal_and_restores_on_the_next_start(state_path, stop_signal):
    process, base_url, status = run_module(state_path)
    try:
        assert status.startswith("No state file yet")
        token = requests.post(base_url + "/_sandbox/tokens", json={}, timeout=10).json()["access_token"]
    finally:
        process.send_signal(stop_signal)
        process.send_signal(signal.SIGTERM)  # a second signal (as honcho sends) must not break the save
        assert process.wait(timeout=20) == 0
    assert token in {item["token"] for item in read_state(state_path)["tokens"]["access"]}

    process, base_url, status = run_module(state_path)
    try:
        assert status.startswith("State restored from")
        contacts = Api(base_url, token).get("/crm/v3/objects/contacts")
        assert contacts.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
