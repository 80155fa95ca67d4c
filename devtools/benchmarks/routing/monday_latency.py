"""Routing latency for monday: new items on a monday sandbox's lead board through the real pipeline,
timed from the item's creation to its person column written, with the GraphQL calls and complexity
points they cost (monday meters complexity, not calls: docs/benchmarks.md gives the arithmetic).

1. A monday sandbox in this process whose signing secret is one made for the run (the app's
   processes are told it), no items seeded; a fresh SQLite database (or the configured one) with an
   organization connected to its account by an app (OAuth) token, the board's default mapping, the
   starter rules and reps synced from the account's users.
2. gunicorn and a Celery worker as ``make run`` starts them (harness/), the sandbox's board webhooks
   (the events ``crm_integrations/monday/boards.py`` subscribes) pointed at the app, JWT-signed.
3. One warm-up item; then ``singles`` items one at a time, each waited for; then ``burst`` items
   created at once by ``senders`` concurrent creators; each waited for and settled.
4. Reads back each item's creation and person-column times from the sandbox's own state, and the
   calls with their complexity from its request log (``monday_latency_report``).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from crm_integrations.models import Integration, Organization, OrganizationIntegration, ProviderApiCall
from crm_integrations.monday.boards import LEAD_EVENTS
from crm_integrations.monday.config import KEY, monday_apps, monday_settings, rate_limits
from crm_integrations.monday.provider import SCOPES
from crm_integrations.services import upsert_organization_integration
from devtools.benchmarks.harness.fresh_db import benchmark_database
from devtools.benchmarks.harness.waiting import owned_then_unroutable, settle, wait_for_count
from devtools.benchmarks.harness.web_server import serve_app
from devtools.benchmarks.harness.worker import broker_name, broker_notes, run_worker
from devtools.demo.rules import starter_rules
from devtools.sandboxes.monday import RunningSandbox, start_sandbox
from field_mapping.services import default_mapping_for
from routing.reps_sync import sync_reps

from .latency import app_busy
from .latency_measure import unroutable_count
from .monday_latency_report import MondayLatencyReport, Phase, Setup

SLUG = "monday-latency-benchmark"
ENVIRONMENT = "sandbox"
#: The people column the board's default mapping writes the owner to (crm_integrations/monday/mapping.py).
OWNER_COLUMN = "people_owner"


@dataclass(frozen=True)
class MondayLatencyOptions:
    singles: int = 20  # items created one at a time, each waited for
    burst: int = 1_000  # items created at once
    interval: float = 0.5  # seconds between two single items
    web_workers: int = 2
    workers: int = 2
    senders: int = 10  # concurrent item creations for the burst
    broker_url: str | None = None
    fresh_db: bool = True
    keep: bool = False
    timeout: float = 900.0
    stall_seconds: float = 90.0
    settle_seconds: float = 180.0
    progress: bool = True


def run_benchmark(options: MondayLatencyOptions) -> MondayLatencyReport:
    folder = Path(tempfile.mkdtemp(prefix="monday-latency-"))
    signing_secret = secrets.token_urlsafe(32)
    app = monday_settings(ENVIRONMENT)
    try:
        with benchmark_database(folder, fresh=options.fresh_db, keep=options.keep) as database:
            sandbox = start_sandbox(
                seed_items=0,
                signing_secret=signing_secret,
                client_id=app["CLIENT_ID"],
                client_secret=app["CLIENT_SECRET"],
                retry_time_scale=0.01,
            )
            try:
                return _run(sandbox, options, folder, database, signing_secret)
            finally:
                sandbox.stop()
                if not options.fresh_db and not options.keep:
                    remove_benchmark_organization()
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


def remove_benchmark_organization() -> None:
    Organization.objects.filter(slug=SLUG).delete()


@contextmanager
def pointed_at(sandbox: RunningSandbox) -> Iterator[None]:
    """This process's "sandbox" monday environment talks to ``sandbox`` (mapping, reps sync)."""
    conf = {**monday_settings(ENVIRONMENT), "AUTH_URL": sandbox.base_url, "API_URL": sandbox.api_url}
    with override_settings(MONDAY={**monday_apps(), ENVIRONMENT: conf}):
        yield


def monday_connection(sandbox: RunningSandbox) -> OrganizationIntegration:
    """A new organization connected to the sandbox's account by an app token, ready to route."""
    if not Integration.objects.filter(provider=KEY, enabled=True).exists():
        raise CommandError("The monday integration is not in the catalogue: run `manage.py migrate`.")
    remove_benchmark_organization()  # a leftover of --keep or of a crash
    organization = Organization.objects.create(name="monday latency benchmark", slug=SLUG)
    connection = upsert_organization_integration(
        organization,
        KEY,
        ENVIRONMENT,
        status="connected",
        external_account_id=str(sandbox.account_id),
        access_token=sandbox.control.token(kind="oauth", scopes=list(SCOPES)),
        scopes=list(SCOPES),
        refresh_token="",
        expires_at=None,
        settings={"board_id": str(sandbox.board_id)},
    )
    with pointed_at(sandbox):
        default_mapping_for(connection)
        starter_rules(organization)
        sync_reps(connection)
    return connection


def _run(
    sandbox: RunningSandbox, options: MondayLatencyOptions, folder: Path, database: str, signing_secret: str
) -> MondayLatencyReport:
    connection = monday_connection(sandbox)
    var_dir = folder / "var"
    var_dir.mkdir()
    env = {"MONDAY_SANDBOX_URL": sandbox.base_url, "MONDAY_SANDBOX_SIGNING_SECRET": signing_secret}
    if options.broker_url:
        env["CELERY_BROKER_URL"] = options.broker_url
    path = reverse("crm_integrations:webhook_events", args=[KEY])
    app = {"var_dir": str(var_dir), "extra_env": env}
    notes = broker_notes(options.broker_url)
    with (
        serve_app(options.web_workers, ready_path=path, **app) as base_url,
        run_worker(str(var_dir), options.workers, extra_env=env),
    ):
        sandbox.control.configure_webhooks(targetUrl=base_url + path, events=list(LEAD_EVENTS), signed=True)
        try:
            _phase(sandbox, connection, options, 1, notes)  # warm-up: every process has run the path once
            singles = _phase(sandbox, connection, options, options.singles, notes, one_at_a_time=True)
            burst = _phase(sandbox, connection, options, options.burst, notes) if options.burst else None
        finally:
            sandbox.control.configure_webhooks(targetUrl=None)
    setup = Setup(
        singles=options.singles,
        burst=options.burst,
        web_workers=options.web_workers,
        workers=options.workers,
        senders=options.senders,
        broker=broker_name(options.broker_url),
        database=database,
        budget=_budget(),
    )
    return MondayLatencyReport(setup, singles, burst, tuple(notes))


def _budget() -> tuple[int, int]:
    """The app's complexity budget for monday: (points, seconds), as its limiter keeps to it."""
    points, seconds = rate_limits()[KEY][0]
    return int(points), int(seconds)


def _create(sandbox: RunningSandbox, number: int) -> str:
    """A new, unassigned lead item as a person would add it (status "New", the first label)."""
    values = {
        "email": {"email": f"lead{number}@example.com", "text": f"lead{number}@example.com"},
        "text_company": f"Benchmark company {number % 50}",
        "text_country": "Germany",
        "status_source": {"index": 0},
        "status": {"index": 0},
    }
    return str(sandbox.control.create_item(f"Benchmark lead {number}", values)["id"])


def _phase(
    sandbox: RunningSandbox,
    connection: OrganizationIntegration,
    options: MondayLatencyOptions,
    items: int,
    notes: list[str],
    *,
    one_at_a_time: bool = False,
) -> Phase:
    """Create ``items`` items (one at a time, each waited for, or all at once), wait for their person
    column and for everything to settle, and read the figures back."""
    since, since_seq = timezone.now(), sandbox.state.requests.last_seq
    calls_since = ProviderApiCall.objects.filter(provider=KEY, created_at__gte=since)
    started = time.monotonic()
    ids: list[str] = []
    if one_at_a_time:
        for number in range(items):
            ids.append(_create(sandbox, number))
            notes.extend(_wait(sandbox, connection, ids, options))
            time.sleep(options.interval)
    else:
        with ThreadPoolExecutor(options.senders) as pool:
            ids = list(pool.map(lambda number: _create(sandbox, number), range(items)))
        notes.extend(_wait(sandbox, connection, ids, options))
    settled = settle(
        sandbox.control.wait_for_deliveries, lambda: app_busy(connection, since), options.settle_seconds
    )
    wall = time.monotonic() - started
    return measure(sandbox, ids, since_seq, wall_seconds=wall, settled=settled, recorded=calls_since.count())


def _wait(
    sandbox: RunningSandbox,
    connection: OrganizationIntegration,
    ids: Sequence[str],
    options: MondayLatencyOptions,
) -> list[str]:
    return wait_for_count(
        owned_then_unroutable(lambda: owned_count(sandbox, ids), lambda: unroutable_count(connection)),
        len(ids),
        timeout=options.timeout,
        stall_seconds=options.stall_seconds,
        progress=options.progress and len(ids) > 1,
        desc="person columns written",
    )


def owned_count(sandbox: RunningSandbox, ids: Sequence[str]) -> int:
    state = sandbox.state
    with state.lock:
        items = state.board.items
        return sum(1 for item_id in ids if items[int(item_id)].values.get(OWNER_COLUMN))


def measure(
    sandbox: RunningSandbox,
    ids: Sequence[str],
    since_seq: int,
    *,
    wall_seconds: float,
    settled: bool,
    recorded: int,
) -> Phase:
    """Each item's created → person column written (the sandbox's own times), and the GraphQL calls
    answered since ``since_seq`` with their complexity, split into queries and mutations."""
    state = sandbox.state
    with state.lock:
        items = [state.board.items[int(item_id)] for item_id in ids]
        latencies = sorted(
            (item.changed_ms[OWNER_COLUMN] - item.created_ms) / 1000
            for item in items
            if item.values.get(OWNER_COLUMN) and OWNER_COLUMN in item.changed_ms
        )
    calls = [e for e in sandbox.state.requests.entries(since_seq) if e["path"] == "/v2"]
    mutations = [e for e in calls if e.get("operation") == "mutation"]
    return Phase(
        items=len(ids),
        latencies=tuple(latencies),
        calls=len(calls),
        mutations=len(mutations),
        complexity=sum(int(e.get("complexity") or 0) for e in calls),
        mutation_complexity=sum(int(e.get("complexity") or 0) for e in mutations),
        throttled=sum(1 for e in calls if e["status"] == 429),
        recorded_calls=recorded,
        wall_seconds=wall_seconds,
        settled=settled,
    )
