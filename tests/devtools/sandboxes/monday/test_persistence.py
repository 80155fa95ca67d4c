"""``--state-file`` for the monday sandbox (devtools/sandboxes/monday/snapshot.py): a restart keeps items, id
counters, OAuth grants and tokens, and webhook subscriptions; a reset is saved too; an unusable file is
moved aside. The saving machinery itself (atomic writes, debouncing) is shared with the HubSpot sandbox and
tested in tests/devtools/sandboxes/hubspot/test_persistence.py."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devtools.sandboxes.monday import RunningSandbox, cli, start_sandbox
from devtools.sandboxes.monday.snapshot import FORMAT, FORMAT_VERSION
from tests.devtools.sandboxes.launching import launcher

ROOT = Path(__file__).resolve().parents[4]
REDIRECT = "http://127.0.0.1:8000/api/v1/integrations/monday/callback"
FORM = {"client_id": "sandbox-monday-client-id", "client_secret": "sandbox-monday-client-secret"}
SCOPES = "me:read boards:read boards:write webhooks:read webhooks:write"


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "monday-sandbox.json"


@pytest.fixture
def launch(state_path: Path) -> Iterator[Any]:
    """Start sandboxes on ``state_path`` (small, saving quickly); all are stopped at the end."""
    with launcher(start_sandbox, state_path, seed_items=5) as start:
        yield start


class Receiver:
    """A webhook endpoint that answers monday's challenge and keeps the events it is sent."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.arrived = threading.Condition()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        body = json.loads(Request(environ).get_data() or b"{}")
        if "challenge" in body:
            return Response(json.dumps(body), content_type="application/json")(environ, start_response)
        with self.arrived:
            self.events.append(body["event"])
            self.arrived.notify_all()
        return Response("")(environ, start_response)

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.events) >= count, timeout=10)
            return list(self.events)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}/api/v1/integrations/monday/events"
    server.shutdown()
    thread.join(timeout=5)


def grant(sandbox: RunningSandbox, endpoint: str = "/oauth2/token", **extra: str) -> dict[str, Any]:
    """The consent page approved and its code exchanged: what the product's "Connect monday" does."""
    page = requests.get(
        f"{sandbox.base_url}/oauth2/authorize",
        params={"client_id": FORM["client_id"], "redirect_uri": REDIRECT, "scope": SCOPES, "state": "s"},
        timeout=10,
    )
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    decision = requests.post(
        f"{sandbox.base_url}/oauth2/authorize/decision",
        data={"request_id": request_id, "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(decision.headers["Location"]).query)["code"][0]
    body = {**FORM, "code": code, "redirect_uri": REDIRECT, **extra}
    return requests.post(sandbox.base_url + endpoint, data=body, timeout=10).json()


def gql(sandbox: RunningSandbox, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = sandbox.control.graphql(query, variables, token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


CREATE_ITEM = """mutation ($board: ID!, $name: String!) {
  create_item(board_id: $board, item_name: $name, column_values: "{\\"text_country\\": \\"Iceland\\"}") { id }
}"""
CREATE_WEBHOOK = """mutation ($board: ID!, $url: String!) {
  create_webhook(board_id: $board, url: $url, event: create_item) { id }
}"""
WEBHOOKS = "query ($board: ID!) { webhooks(board_id: $board) { id event } }"


def refresh(sandbox: RunningSandbox, refresh_token: str) -> requests.Response:
    body = {**FORM, "grant_type": "refresh_token", "refresh_token": refresh_token}
    return requests.post(f"{sandbox.base_url}/oauth_ms/oauth/token", data=body, timeout=10)


def item_ids(sandbox: RunningSandbox) -> set[int]:
    return set(sandbox.state.board.items)


# --- a restart keeps the state --------------------------------------------------------------------
def test_items_grants_tokens_and_webhook_subscriptions_survive_a_restart(launch, receiver):
    events, url = receiver
    first = launch()
    legacy = grant(first)["access_token"]  # never expires
    oauth21 = grant(first, "/oauth_ms/oauth/token", grant_type="authorization_code")
    personal = first.control.token()
    board = first.board_id
    created = gql(first, legacy, CREATE_ITEM, board=board, name="Ada Lovelace")["create_item"]["id"]
    first.control.update_item(created, {"text_company": "Analytical Engines"})
    hook = gql(first, legacy, CREATE_WEBHOOK, board=board, url=url)["create_webhook"]["id"]
    ids_before = item_ids(first)
    first.stop()

    second = launch()
    assert item_ids(second) == ids_before
    assert second.control.item(created)["values"]["text_company"] == "Analytical Engines"
    assert second.control.item(created)["values"]["text_country"] == "Iceland"
    for token in (legacy, oauth21["access_token"], personal):  # the connection needs no reconnecting
        assert gql(second, token, "query { me { account { id } } }")["me"]["account"]["id"] == str(
            second.account_id
        )
    rotated = refresh(second, oauth21["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] != oauth21["refresh_token"]

    assert gql(second, legacy, WEBHOOKS, board=board)["webhooks"] == [{"id": hook, "event": "create_item"}]
    newer = gql(second, legacy, CREATE_ITEM, board=board, name="Grace Hopper")["create_item"]["id"]
    assert int(newer) > max(ids_before)  # item ids continue, none reused
    delivered = events.wait_for(1)
    assert [(event["pulseId"], event["subscriptionId"]) for event in delivered] == [(int(newer), int(hook))]
    another = gql(second, legacy, CREATE_WEBHOOK, board=board, url=url)["create_webhook"]["id"]
    assert int(another) > int(hook)  # subscription ids continue too


def test_revocation_expiry_and_used_refresh_tokens_are_kept(launch):
    first = launch()
    revoked = first.control.token(kind="oauth", scopes=["me:read"])
    first.control.revoke_token(revoked)
    expired = first.control.token(kind="oauth", scopes=["me:read"], expires_in=60)
    first.control.advance_clock(120)
    oauth21 = grant(first, "/oauth_ms/oauth/token", grant_type="authorization_code")
    assert refresh(first, oauth21["refresh_token"]).status_code == 200  # used: rotated away
    first.stop()

    second = launch()
    for token in (revoked, expired):
        response = second.control.graphql("query { me { id } }", token=token)
        assert response.status_code == 401
    assert refresh(second, oauth21["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_reset_is_saved_and_clears_what_was_kept(launch, receiver):
    _, url = receiver
    first = launch()
    token = first.control.token(kind="oauth", scopes=SCOPES.split())
    created = first.control.create_item("Lin Clark")["id"]
    first.control.configure_webhooks(targetUrl=url)
    first.control.reset()
    first.stop()

    second = launch()
    assert int(created) not in item_ids(second) and len(item_ids(second)) == 5
    assert second.control.graphql("query { me { id } }", token=token).status_code == 401
    assert second.control._call("GET", "/webhooks")["subscriptions"] == []
    assert gql(second, second.api_token, "query { me { id } }")  # the start option's token still works


def test_queries_do_not_schedule_a_save_but_mutations_and_the_control_api_do(launch, monkeypatch):
    sandbox = launch()
    marks: list[str] = []
    persistence = sandbox._persistence
    assert persistence is not None
    monkeypatch.setattr(persistence, "mark_dirty", lambda: marks.append("dirty"))
    gql(sandbox, sandbox.api_token, "query { boards { id } }")
    assert marks == []
    gql(sandbox, sandbox.api_token, CREATE_ITEM, board=sandbox.board_id, name="Hedy")
    sandbox.control.seed_items(2)
    assert marks == ["dirty", "dirty"]


# --- unusable files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"format": "monday-sandbox-state", "version": 1, "seed": 1}', "malformed state"),
        ('{"format": "monday-sandbox-state", "version": 999}', "format version 999"),
        ("{not json", "Expecting"),
    ],
)
def test_an_unusable_file_is_moved_aside_and_a_fresh_account_seeded(launch, state_path, content, reason):
    state_path.parent.mkdir(parents=True)
    state_path.write_text(content)
    sandbox = launch()
    aside = list(state_path.parent.glob("monday-sandbox.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == content
    assert reason in sandbox._persistence.status and len(item_ids(sandbox)) == 5
    sandbox.save()
    saved = json.loads(state_path.read_text())
    assert (saved["format"], saved["version"]) == (FORMAT, FORMAT_VERSION)


def test_a_file_of_another_account_is_moved_aside(launch, state_path):
    launch(account_id=31000009).stop()
    sandbox = launch()
    assert sandbox.state.config.account_id == 31000001
    assert "it holds account 31000009" in sandbox._persistence.status


def test_without_a_state_file_nothing_is_persisted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sandbox = start_sandbox(seed_items=2)
    try:
        assert sandbox._persistence is None
        sandbox.control.create_item("Nobody keeps me")
        sandbox.save()  # a no-op
    finally:
        sandbox.stop()
    assert list(tmp_path.iterdir()) == []


# --- the command line, as make run starts it --------------------------------------------------------
def test_the_state_file_option_on_the_cli_and_the_django_command(tmp_path):
    from devtools.management.commands.run_sandbox import Command

    parsed = vars(
        Command().create_parser("manage.py", "run_sandbox").parse_args(["monday", "--state-file", "x"])
    )
    assert cli.config_from_options(parsed).state_file == "x"


def run_module(state_path: Path) -> tuple[subprocess.Popen[str], str, str]:
    """``python -m ...monday --state-file``: the process, its base URL and its state line."""
    command = [sys.executable, "-m", "devtools.sandboxes.monday", "--port", "0", "--seed-items", "3"]
    process = subprocess.Popen(
        [*command, "--state-file", str(state_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base_url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
    process.stdout.readline()  # the token, board and account line
    return process, base_url, process.stdout.readline().strip()


def test_the_cli_saves_on_sigterm_and_restores_on_the_next_start(state_path):
    process, base_url, status = run_module(state_path)
    try:
        assert status.startswith("No state file yet")
        token = requests.post(
            f"{base_url}/_sandbox/tokens", json={"kind": "oauth", "scopes": ["me:read"]}, timeout=10
        ).json()
        created = requests.post(f"{base_url}/_sandbox/items", json={"name": "Ada"}, timeout=10).json()
    finally:
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)  # honcho's second signal must not break the save
        assert process.wait(timeout=20) == 0

    process, base_url, status = run_module(state_path)
    try:
        assert status.startswith("State restored from")
        assert requests.get(f"{base_url}/_sandbox/items/{created['id']}", timeout=10).json()["name"] == "Ada"
        me = requests.post(
            f"{base_url}/v2",
            json={"query": "query { me { id } }"},
            headers={"Authorization": token["access_token"]},
            timeout=10,
        )
        assert me.status_code == 200 and me.json()["data"]["me"]["id"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
