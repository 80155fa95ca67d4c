"""Routing latency benchmark: a burst of new HubSpot leads through the real pipeline, timed from
creation at the CRM to the owner written back there, with the HubSpot API calls it cost.

1. A HubSpot sandbox in this process, with a portal of its own (``PORTAL``); a fresh SQLite database
   (or the configured one) with an organization connected to it: default field mapping, starter
   rules, reps synced from the portal's owners.
2. The app as in production: gunicorn (``serve_app``) and a prefork Celery worker (``run_worker``)
   sharing a private ``VAR_DIR`` (filesystem broker, file cache, rate-limiter file).
3. The sandbox creates ``leads`` new unowned leads (each with a contact, at a new or existing
   company) at once and sends its signed creation webhooks to the app, as HubSpot does.
4. Waits until every lead has an owner at the sandbox (or progress stalls), then until everything
   settles (our own owner writes come back as webhooks and are taken in too), and reads back the
   figures (``latency_measure``) for the table (``latency_report``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from crm_integrations.models import DeliveryStatus, OrganizationIntegration, WebhookDelivery
from devtools.benchmarks.harness.fresh_db import benchmark_database
from devtools.benchmarks.harness.load import Batch, send_all
from devtools.benchmarks.harness.portal import (
    benchmark_connection,
    pointed_at,
    remove_benchmark_data,
    sandbox_app,
    start_portal_sandbox,
)
from devtools.benchmarks.harness.waiting import owned_then_unroutable, settle, wait_for_count
from devtools.benchmarks.harness.web_server import serve_app
from devtools.benchmarks.harness.worker import broker_name, broker_notes, run_worker
from devtools.demo.rules import starter_rules
from devtools.sandboxes.hubspot import RunningSandbox
from field_mapping.label_services import labels_refresh_if_stale
from field_mapping.services import default_mapping_for
from routing.models import OwnerWrite, WriteStatus
from routing.reps_sync import sync_reps

from .latency_measure import Window, collect, owned_count, unroutable_count
from .latency_report import LatencyReport, Setup

SLUG = "routing-latency-benchmark"
PORTAL = 24_900_002
#: Empty signed batches sent first: every web process has loaded the webhook path once, and the
#: worker has shown it takes tasks from the broker, before the clock runs.
WARM_UP = 4
#: The intake takes in leads (HubSpot object type 0-136) and nothing else.
LEAD_SUBSCRIPTIONS = [
    {"subscriptionType": f"object.{kind}", "objectTypeId": "0-136"}
    for kind in ("creation", "propertyChange", "deletion")
]
BUSY_DELIVERIES = (DeliveryStatus.RECEIVED, DeliveryStatus.QUEUED)
BUSY_WRITES = (WriteStatus.PENDING, WriteStatus.SENDING)


@dataclass(frozen=True)
class LatencyOptions:
    leads: int = 5_000
    web_workers: int = 2  # gunicorn, as the Procfile
    workers: int = 2  # Celery prefork processes, as the Procfile
    senders: int = 10  # the sandbox's concurrent webhook POSTs
    writeback_window: float | None = None  # ROUTING_WRITEBACK_WINDOW for the app; None: its setting
    #: Only the lead events the intake takes in, as the app subscribes to them; False: every
    #: subscription the sandbox has by default (contact, company, deal events too, as ``make run``).
    lead_events_only: bool = True
    broker_url: str | None = None  # e.g. redis://127.0.0.1:6379/15; None: a private filesystem broker
    #: The portal's API budget per 10 s (HubSpot: 110 for public apps, 190/250 for private apps on
    #: Professional/Enterprise); the app's limiter keeps a tenth below it.
    api_limit: int = 110
    fresh_db: bool = True
    keep: bool = False  # keep the fresh database file / the organization in the configured one
    timeout: float = 900.0  # waiting for every owner
    stall_seconds: float = 90.0  # ... gives up sooner when no owner was written for this long
    settle_seconds: float = 180.0
    progress: bool = True
    #: Leads a second, created steadily for ``duration`` seconds instead of ``leads`` at once (0: a burst).
    rate: float = 0.0
    duration: float = 15.0
    #: Seconds the sandbox takes to answer each CRM API call, as HubSpot's servers and the network
    #: do (the sandbox itself answers in milliseconds); 0: no added latency.
    api_latency: float = 0.0

    @property
    def total_leads(self) -> int:
        return round(self.rate * self.duration) if self.rate > 0 else self.leads


class BurstHooks(Protocol):
    """What another benchmark adds to a run (the worker-scaling one, devtools/benchmarks/routing/
    scaling.py): ``prepared`` before the app starts, ``drained`` after the figures were read back,
    while the sandbox and the database still hold the burst."""

    def prepared(self, connection: OrganizationIntegration) -> None: ...

    def drained(
        self, sandbox: RunningSandbox, connection: OrganizationIntegration, ids: Sequence[str]
    ) -> None: ...


def run_benchmark(options: LatencyOptions, hooks: BurstHooks | None = None) -> LatencyReport:
    folder = Path(tempfile.mkdtemp(prefix="routing-latency-"))
    notes: list[str] = []
    try:
        with benchmark_database(folder, fresh=options.fresh_db, keep=options.keep) as database:
            sandbox = start_portal_sandbox(
                PORTAL, webhook_max_concurrent=options.senders, rate_limit_max=options.api_limit
            )
            try:
                report = _run(sandbox, options, folder, database, notes, hooks)
            finally:
                sandbox.stop()
                if not options.fresh_db and not options.keep:
                    remove_routing_benchmark()
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return report


def own_limit(options: LatencyOptions) -> int:
    """The app's own limiter: a tenth below the portal's budget (100 for HubSpot's 110)."""
    return max(1, options.api_limit * 10 // 11)


def remove_routing_benchmark() -> None:
    """Delete the benchmark organization with its routing data (its decisions go with it)."""
    remove_benchmark_data(slug=SLUG, portal_id=PORTAL)


def routing_connection(
    sandbox: RunningSandbox,
    *,
    slug: str = SLUG,
    portal_id: int = PORTAL,
    name: str = "Routing latency benchmark",
) -> OrganizationIntegration:
    """The benchmark organization ``slug``, connected to ``portal_id``, ready to route as a customer's
    connection is once it has run a day: mapping, rules, reps and the day's option labels read (the
    labels are read once a day, five calls, so a burst on a running connection does not pay them);
    the reliability drills (devtools/benchmarks/drills/) use one of their own."""
    remove_benchmark_data(slug=slug, portal_id=portal_id)  # a leftover of --keep or of a crash
    connection = benchmark_connection(sandbox, slug=slug, portal_id=portal_id, name=name)
    with pointed_at(sandbox):
        default_mapping_for(connection)
        starter_rules(connection.organization)
        sync_reps(connection)
        labels_refresh_if_stale(connection)
    return connection


def _run(
    sandbox: RunningSandbox,
    options: LatencyOptions,
    folder: Path,
    database: str,
    notes: list[str],
    hooks: BurstHooks | None = None,
) -> LatencyReport:
    connection = routing_connection(sandbox)
    if hooks:
        hooks.prepared(connection)
    notes.append(f"{os.cpu_count()} CPUs shared by the sandbox (in this process), gunicorn and Celery")
    notes.append(
        f"HubSpot API budget {options.api_limit:,} calls / 10 s (the app keeps to {own_limit(options):,}): "
        "a burst cannot be read and written faster than that allows"
    )
    notes.extend(broker_notes(options.broker_url))
    var_dir = folder / "var"
    var_dir.mkdir()
    env = {"HUBSPOT_SANDBOX_URL": sandbox.base_url, "HUBSPOT_RATE_LIMIT": f"[[{own_limit(options)}, 10]]"}
    if options.writeback_window is not None:
        env["ROUTING_WRITEBACK_WINDOW"] = str(options.writeback_window)
    if options.broker_url:
        env["CELERY_BROKER_URL"] = options.broker_url
    path = reverse("crm_integrations:webhook_events", args=["hubspot"])
    app = {"var_dir": str(var_dir), "extra_env": env}
    with (
        serve_app(options.web_workers, ready_path=path, **app) as base_url,
        run_worker(str(var_dir), options.workers, extra_env=env),
    ):
        warm_up(base_url + path)
        subscriptions = {"subscriptions": LEAD_SUBSCRIPTIONS} if options.lead_events_only else {}
        sandbox.control.configure_webhooks(targetUrl=base_url + path, **subscriptions)
        if options.api_latency > 0:
            sandbox.control.set_faults(slowShare=1.0, slowSeconds=options.api_latency, pathPrefix="/crm/")
            notes.append(f"every HubSpot API call answered {options.api_latency:g} s late (--api-latency)")
        try:
            ids, window = _burst(sandbox, connection, options, notes)
        finally:
            sandbox.control.configure_webhooks(targetUrl=None)
            sandbox.control.clear_faults()
    setup = Setup(
        leads=options.total_leads,
        rate=options.rate,
        own_limit=own_limit(options),
        web_workers=options.web_workers,
        workers=options.workers,
        senders=options.senders,
        writeback_window=float(env.get("ROUTING_WRITEBACK_WINDOW", settings.ROUTING_WRITEBACK_WINDOW)),
        subscriptions="lead events" if options.lead_events_only else "every sandbox default subscription",
        broker=broker_name(options.broker_url),
        database=database,
    )
    report = collect(sandbox, connection, ids, setup, window, notes)
    if hooks:
        hooks.drained(sandbox, connection, ids)
    return report


def warm_up(url: str) -> None:
    """Empty signed batches until every web process took one and the worker processed them."""
    answers = send_all(url, [Batch(0, ())] * WARM_UP, senders=WARM_UP, secret=sandbox_app()["CLIENT_SECRET"])
    ids = [answer.delivery_id for answer in answers if answer.delivery_id]
    if len(ids) < WARM_UP:
        raise CommandError(f"The app did not take the warm-up webhooks: {[a.error for a in answers]}")
    deadline = time.monotonic() + 60
    while WebhookDelivery.objects.filter(pk__in=ids, status__in=BUSY_DELIVERIES).exists():
        if time.monotonic() > deadline:
            raise CommandError("The Celery worker did not process the warm-up webhooks within 60 s.")
        time.sleep(0.1)


def _burst(
    sandbox: RunningSandbox, connection: OrganizationIntegration, options: LatencyOptions, notes: list[str]
) -> tuple[list[str], Window]:
    since, since_seq = timezone.now(), sandbox.state.requests.last_seq
    started = time.monotonic()
    ids = _steadily(sandbox, options) if options.rate > 0 else _create(sandbox, options.leads)
    create_seconds = time.monotonic() - started
    notes.extend(_wait_for_owners(sandbox, connection, ids, options))
    settled = _settle(sandbox, connection, since, options.settle_seconds)
    return ids, Window(since, since_seq, create_seconds, time.monotonic() - started, settled)


def _create(sandbox: RunningSandbox, count: int) -> list[str]:
    """``count`` new unowned leads at once (their creation webhooks follow); their ids."""
    seeded = sandbox.control.seed_leads(count, portal_id=PORTAL, fresh=True, unowned=True)
    ids = [str(number) for number in range(int(seeded["firstId"]), int(seeded["lastId"]) + 1)]
    if len(ids) != seeded["created"]:
        raise CommandError("The sandbox did not hand out consecutive lead ids.")
    return ids


def _steadily(sandbox: RunningSandbox, options: LatencyOptions) -> list[str]:
    """``options.rate`` leads a second for ``options.duration`` seconds, on schedule (a late tick
    catches up); their ids."""
    ids: list[str] = []
    started = time.monotonic()
    while len(ids) < options.total_leads:
        due = min(options.total_leads, int(options.rate * (time.monotonic() - started)) + 1)
        if due > len(ids):
            ids += _create(sandbox, due - len(ids))
        time.sleep(max(0.01, started + len(ids) / options.rate - time.monotonic()))
    return ids


def _wait_for_owners(
    sandbox: RunningSandbox, connection: OrganizationIntegration, ids: Sequence[str], options: LatencyOptions
) -> list[str]:
    """Until every lead has an owner at the CRM or was decided without a rep (harness/waiting.py)."""
    return wait_for_count(
        owned_then_unroutable(
            lambda: owned_count(sandbox, PORTAL, ids), lambda: unroutable_count(connection)
        ),
        len(ids),
        timeout=options.timeout,
        stall_seconds=options.stall_seconds,
        progress=options.progress,
    )


def _settle(
    sandbox: RunningSandbox, connection: OrganizationIntegration, since: datetime, seconds: float
) -> bool:
    """Until the sandbox has nothing to send, and every delivery and owner write is done (twice in
    a row, harness/waiting.py)."""
    return settle(sandbox.control.wait_for_deliveries, lambda: app_busy(connection, since), seconds)


def app_busy(connection: OrganizationIntegration, since: datetime) -> bool:
    """A webhook delivery since ``since`` or an owner write of ``connection`` still to be done."""
    return (
        WebhookDelivery.objects.filter(received_at__gte=since, status__in=BUSY_DELIVERIES).exists()
        or OwnerWrite.objects.filter(connection=connection, status__in=BUSY_WRITES).exists()
    )
