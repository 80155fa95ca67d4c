"""Routing latency for Salesforce: new leads in a Salesforce sandbox through the real pipeline, timed
from the lead's creation to its owner written, with the REST calls they cost (queries, reads by id,
sObject Collections writes) per routed lead.

1. A Salesforce sandbox in this process with no leads seeded; a fresh SQLite database (or the
   configured one) with an organization connected to its org by a token the sandbox issues, the Lead
   default mapping, the starter rules and reps synced from the org's users.
2. gunicorn and a Celery worker as ``make run`` starts them (harness/), and a fast beat
   (devtools/benchmarks/drills/beat.py) sending the recovery jobs and, while polling is measured,
   ``poll_connection`` every ``poll_interval`` seconds (what the beat's ``poll_due_connections`` starts).
3. By Outbound Messages (the sandbox sends them to our endpoint for each new lead), then by polling
   (Outbound Messages off): one warm-up lead, ``singles`` leads one at a time, each waited for, then
   ``burst`` leads created at once; each phase waited for and settled.
4. Reads back each lead's creation and owner-write times from the sandbox's own records, and the calls
   from its request log (``salesforce_latency_report`` prints them against the goals).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs

from django.core.management.base import CommandError
from django.test.utils import override_settings
from django.utils import timezone

from crm_integrations.models import Integration, Organization, OrganizationIntegration
from crm_integrations.salesforce.config import KEY, OUTBOUND_PATH, salesforce_apps, salesforce_settings
from crm_integrations.services import upsert_organization_integration
from devtools.benchmarks.drills.beat import FastBeat
from devtools.benchmarks.harness.fresh_db import benchmark_database
from devtools.benchmarks.harness.waiting import owned_then_unroutable, settle, wait_for_count
from devtools.benchmarks.harness.web_server import serve_app
from devtools.benchmarks.harness.worker import broker_name, broker_notes, run_worker
from devtools.demo.rules import starter_rules
from devtools.sandboxes.salesforce import start_sandbox
from devtools.sandboxes.salesforce.server import RunningSandbox
from field_mapping.services import default_mapping_for
from routing.reps_sync import sync_reps

from .latency import app_busy
from .latency_measure import unroutable_count
from .salesforce_latency_report import POLL, PUSH, Phase, SalesforceLatencyReport, Setup

SLUG = "salesforce-latency-benchmark"
ENVIRONMENT = "sandbox"
#: The sandbox's "Inbound Leads" queue: new leads are queue-owned, so the starter rules route them.
INBOUND_QUEUE = "00GSB00000000012AA"
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"


@dataclass(frozen=True)
class SalesforceLatencyOptions:
    singles: int = 20  # leads created one at a time, each waited for (per mode)
    burst: int = 1_000  # leads created at once (per mode)
    interval: float = 0.5  # seconds between two single leads
    poll_interval: float = 5.0  # seconds between two polls while polling is measured
    lead_events: str = "create"  # the sandbox's Outbound Messages: "create" or "create_and_edit"
    modes: tuple[str, ...] = (PUSH, POLL)
    web_workers: int = 2
    workers: int = 2
    broker_url: str | None = None
    fresh_db: bool = True
    keep: bool = False
    timeout: float = 900.0
    stall_seconds: float = 90.0
    settle_seconds: float = 120.0
    progress: bool = True


def run_benchmark(options: SalesforceLatencyOptions) -> SalesforceLatencyReport:
    if options.broker_url and POLL in options.modes:
        raise CommandError("Polling is driven through the filesystem broker: leave out --broker-url.")
    folder = Path(tempfile.mkdtemp(prefix="salesforce-latency-"))
    app = salesforce_settings(ENVIRONMENT)
    try:
        with benchmark_database(folder, fresh=options.fresh_db, keep=options.keep) as database:
            sandbox = start_sandbox(
                seed_leads=0,
                client_id=app["CLIENT_ID"],
                client_secret=app["CLIENT_SECRET"],
                outbound_retry_base=1,
            )
            try:
                return _run(sandbox, options, folder, database)
            finally:
                sandbox.stop()
                if not options.fresh_db and not options.keep:
                    remove_benchmark_organization()
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


def remove_benchmark_organization() -> None:
    Organization.objects.filter(slug=SLUG).delete()


def salesforce_connection(sandbox: RunningSandbox) -> OrganizationIntegration:
    """A new organization connected to the sandbox's org, as the consent flow leaves it, ready to route."""
    if not Integration.objects.filter(provider=KEY, enabled=True).exists():
        raise CommandError("The Salesforce integration is not in the catalogue: run `manage.py migrate`.")
    remove_benchmark_organization()  # a leftover of --keep or of a crash
    organization = Organization.objects.create(name="Salesforce latency benchmark", slug=SLUG)
    tokens = sandbox.control.tokens()
    connection = upsert_organization_integration(
        organization,
        KEY,
        ENVIRONMENT,
        status="connected",
        external_account_id=sandbox.org_id,
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token", ""),
        scopes=str(tokens.get("scope", "")).split(),
        settings={"instance_url": tokens["instance_url"], "user_id": tokens["id"].rsplit("/", 1)[-1]},
    )
    conf = {**salesforce_settings(ENVIRONMENT), "LOGIN_URL": sandbox.base_url}
    with override_settings(SALESFORCE={**salesforce_apps(), ENVIRONMENT: conf}):
        default_mapping_for(connection)
        starter_rules(organization)
        sync_reps(connection)
    return connection


def _run(
    sandbox: RunningSandbox, options: SalesforceLatencyOptions, folder: Path, database: str
) -> SalesforceLatencyReport:
    connection = salesforce_connection(sandbox)
    var_dir = folder / "var"
    var_dir.mkdir()
    env = {"SALESFORCE_SANDBOX_URL": sandbox.base_url}
    if options.broker_url:
        env["CELERY_BROKER_URL"] = options.broker_url
    notes = broker_notes(options.broker_url)
    phases: list[tuple[str, Phase]] = []
    beat = FastBeat(var_dir, str(connection.pk), options.poll_interval)
    with (
        serve_app(options.web_workers, ready_path="/", var_dir=str(var_dir), extra_env=env) as base_url,
        run_worker(str(var_dir), options.workers, extra_env=env),
    ):
        beat.start()
        try:
            for mode in options.modes:
                if mode == PUSH:
                    sandbox.control.configure_outbound(
                        url=base_url + OUTBOUND_PATH, leadEvents=options.lead_events
                    )
                else:
                    sandbox.control.configure_outbound(url=None, leadEvents="off")
                    beat.polling.set()
                run = _Runner(sandbox, connection, options, mode, notes)
                run.phase(1)  # warm-up: every process has run the path once (and the first poll's cursor)
                phases.append(
                    (
                        f"{mode}: {options.singles} single leads",
                        run.phase(options.singles, one_at_a_time=True),
                    )
                )
                if options.burst:
                    phases.append((f"{mode}: burst of {options.burst:,}", run.phase(options.burst)))
                beat.polling.clear()
        finally:
            beat.stop()
            sandbox.control.configure_outbound(url=None)
    setup = Setup(
        singles=options.singles,
        burst=options.burst,
        web_workers=options.web_workers,
        workers=options.workers,
        poll_interval=options.poll_interval,
        lead_events=options.lead_events,
        broker=broker_name(options.broker_url),
        database=database,
    )
    return SalesforceLatencyReport(setup, tuple(phases), tuple(notes))


@dataclass
class _Runner:
    sandbox: RunningSandbox
    connection: OrganizationIntegration
    options: SalesforceLatencyOptions
    mode: str
    notes: list[str]

    def create(self, count: int) -> list[str]:
        """``count`` new queue-owned leads, created now (an Outbound Message each when pushing)."""
        return self.sandbox.control.seed_leads(count, owner_id=INBOUND_QUEUE, notify=self.mode == PUSH)

    def phase(self, leads: int, *, one_at_a_time: bool = False) -> Phase:
        """Create ``leads`` leads (one at a time, each waited for, or all at once), wait for their owners
        and for everything to settle, and read the figures back."""
        since, since_seq = timezone.now(), last_request(self.sandbox)
        started = time.monotonic()
        ids: list[str] = []
        if one_at_a_time:
            for _ in range(leads):
                ids += self.create(1)
                self.wait(ids)
                time.sleep(self.options.interval)
        else:
            ids = self.create(leads)
            self.wait(ids)
        settled = settle(
            self.sandbox.control.wait_for_outbound,
            lambda: app_busy(self.connection, since),
            self.options.settle_seconds,
        )
        wall = time.monotonic() - started
        return measure(
            self.sandbox,
            self.connection,
            self.mode,
            ids,
            since_seq,
            burst=not one_at_a_time,
            wall_seconds=wall,
            settled=settled,
        )

    def wait(self, ids: Sequence[str]) -> None:
        self.notes.extend(
            wait_for_count(
                owned_then_unroutable(
                    lambda: len(owner_times(self.sandbox, self.connection, ids)),
                    lambda: unroutable_count(self.connection),
                ),
                len(ids),
                timeout=self.options.timeout,
                stall_seconds=self.options.stall_seconds,
                progress=self.options.progress and len(ids) > 1,
            )
        )


def last_request(sandbox: RunningSandbox) -> int:
    entries = sandbox.control.requests()
    return max((int(entry["seq"]) for entry in entries), default=0)


def _moment(value: object) -> datetime | None:
    try:
        return datetime.strptime(str(value), STAMP_FORMAT)
    except ValueError:
        return None


def owner_times(
    sandbox: RunningSandbox, connection: OrganizationIntegration, ids: Sequence[str]
) -> dict[str, float]:
    """Seconds from creation to the owner we wrote, for each lead a rep owns by our write (the lead is
    last modified by the connection's user: nothing else edits them here)."""
    user = str((connection.settings or {}).get("user_id") or "")
    state = sandbox.state
    with state.lock:
        leads = [dict(state.records["Lead"][lead_id]) for lead_id in ids]
    found: dict[str, float] = {}
    for lead in leads:
        owner, by = str(lead.get("OwnerId") or ""), str(lead.get("LastModifiedById") or "")
        created, written = _moment(lead.get("CreatedDate")), _moment(lead.get("LastModifiedDate"))
        if owner.startswith("005") and by == user and created and written:
            found[str(lead["Id"])] = (written - created).total_seconds()
    return found


def measure(
    sandbox: RunningSandbox,
    connection: OrganizationIntegration,
    mode: str,
    ids: Sequence[str],
    since_seq: int,
    *,
    burst: bool,
    wall_seconds: float,
    settled: bool,
) -> Phase:
    """Each lead's created → owner written (the sandbox's own times), and the REST calls answered since
    ``since_seq``: queries (of which reads by id) and sObject Collections writes with their records."""
    latencies = sorted(owner_times(sandbox, connection, ids).values())
    calls = [
        entry
        for entry in sandbox.control.requests(since=since_seq)
        if entry["path"].startswith("/services/data")
    ]
    queries = [
        entry for entry in calls if entry["path"].rsplit("/", 1)[-1] == "query" or "/query/" in entry["path"]
    ]
    by_id = [
        entry
        for entry in queries
        if " Id IN " in " ".join(parse_qs(str(entry.get("query") or "")).get("q", []))
    ]
    writes = [
        entry
        for entry in calls
        if entry["method"] == "PATCH" and entry["path"].endswith("composite/sobjects")
    ]
    return Phase(
        mode=mode,
        leads=len(ids),
        burst=burst,
        latencies=tuple(latencies),
        calls=len(calls),
        queries=len(queries),
        reads_by_id=len(by_id),
        writes=len(writes),
        written_records=len(latencies),
        wall_seconds=wall_seconds,
        settled=settled,
    )
