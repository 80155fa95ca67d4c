"""Status-out benchmark: contract status changes written to their HubSpot sandbox deals by real
Celery worker processes; timed from the status change (``status_changed_at``, as stored) to the
deal updated (the sandbox's own timestamp of the property's new value, same clock).

1. A HubSpot sandbox in this process with a portal of its own (``PORTAL``); an organization
   (``SLUG``) connected to it in the configured database, with ``contracts`` contracts, one per
   new deal.
2. A prefork Celery worker on a private ``VAR_DIR`` (filesystem broker unless ``broker_url``); this
   process sends its tasks there (``tasks_sent_to``), as the web process would.
3. One warm-up change (not counted: it creates the ``lexicontract_status`` property), then
   ``changes`` status changes through ``contract_status_set``, round robin over the contracts,
   ``interval`` seconds apart (with several contracts, no change is overtaken by the next one of
   its contract unless the pipeline lags behind).
4. Waits until every contract's latest status is written (or ``timeout``), reads the figures from
   the database and the sandbox, and removes the organization unless ``keep``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from celery import current_app
from django.db.models import F
from django.utils import timezone

from contracts.models import Contract, NegotiationStatus
from contracts.services import contract_status_set
from contracts.status_out import PROPERTY
from crm_integrations.models import OrganizationIntegration, ProviderApiCall
from devtools.benchmarks.harness.portal import in_benchmark_portal, process_env
from devtools.benchmarks.harness.worker import broker_name, broker_notes, run_worker
from devtools.sandboxes.hubspot import RunningSandbox

from .report import StatusReport

SLUG = "contract-status-benchmark"
PORTAL = 24_900_004
BROKER_VARIABLE = "CELERY_BROKER_URL"
#: The statuses a contract goes through, round and round (never the same twice in a row).
CYCLE = [status for status in NegotiationStatus.values if status != NegotiationStatus.DRAFT]


@dataclass(frozen=True)
class StatusOptions:
    changes: int = 50
    contracts: int = 10
    interval: float = 0.5  # seconds between two changes (0: all at once)
    workers: int = 2  # Celery prefork processes, as the Procfile
    broker_url: str | None = None  # e.g. redis://127.0.0.1:6379/15; None: a private filesystem broker
    keep: bool = False
    timeout: float = 120.0


@dataclass(frozen=True)
class Change:
    contract_id: int
    deal_id: str
    status: str
    at: datetime


@in_benchmark_portal(slug=SLUG, portal_id=PORTAL, name="Contract status benchmark")
def run_benchmark(
    sandbox: RunningSandbox, connection: OrganizationIntegration, var_dir: str, options: StatusOptions
) -> StatusReport:
    """Called with the options alone: the portal comes from ``in_benchmark_portal``."""
    warm_up, *contracts = [
        _new_contract(sandbox, connection, number) for number in range(options.contracts + 1)
    ]
    env = process_env(sandbox, options.broker_url)
    changes: list[Change] = []
    with run_worker(var_dir, options.workers, extra_env=env), tasks_sent_to(var_dir, options.broker_url):
        started = time.monotonic()
        contract_status_set(warm_up, CYCLE[0], by="benchmark")
        _wait([warm_up.pk], timeout=60)
        first_write = time.monotonic() - started
        since = timezone.now()
        for number in range(options.changes):
            contract = contracts[number % len(contracts)]
            status = CYCLE[(number // len(contracts)) % len(CYCLE)]
            stored = contract_status_set(contract, status, by="benchmark")
            changes.append(Change(contract.pk, contract.external_id, status, stored.status_changed_at))
            if options.interval:
                time.sleep(options.interval)
        finished = _wait([contract.pk for contract in contracts], timeout=options.timeout)
    notes = [] if finished else [f"gave up waiting after {options.timeout:.0f} s"]
    notes.extend(broker_notes(options.broker_url))
    return _measure(sandbox, changes, since, options, first_write, notes)


def _new_contract(sandbox: RunningSandbox, connection: OrganizationIntegration, number: int) -> Contract:
    properties = {"dealname": f"Status benchmark deal {number}", "pipeline": "default", "amount": "1000"}
    deal = sandbox.control.create_record("deals", {**properties, "dealstage": "contractsent"})
    return Contract.objects.create(
        organization_id=connection.organization_id,
        connection=connection,
        provider=connection.provider,
        external_id=str(deal["id"]),
        title=properties["dealname"],
    )


@contextmanager
def tasks_sent_to(var_dir: str, broker_url: str | None = None) -> Iterator[None]:
    """Tasks this process sends go to the benchmark worker's broker (``var_dir``'s filesystem
    broker, or ``broker_url``), and back to the configured one afterwards."""
    conf = current_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, os.environ.get(BROKER_VARIABLE))
    url = broker_url or "filesystem://"
    if broker_url:
        options = {}
    else:
        folder = Path(var_dir) / "broker"
        options = {
            **(saved[1] or {}),
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        }
    # Celery reads the environment variable before its settings: both must name the broker.
    os.environ[BROKER_VARIABLE] = conf.broker_url = url
    conf.broker_transport_options = options
    _drop_connections()
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options, variable = saved
        if variable is None:
            os.environ.pop(BROKER_VARIABLE, None)
        else:
            os.environ[BROKER_VARIABLE] = variable
        _drop_connections()


def _drop_connections() -> None:
    """Drop the app's references to its broker connection pools, so the next task is sent with the
    current settings (kombu keeps one pool per broker URL and options: none is closed here, the
    configured one is picked up again afterwards)."""
    app = current_app._get_current_object()
    app._pool = None
    amqp = app.__dict__.get("amqp")  # a cached property: absent until the first task was sent
    if amqp is not None:
        amqp._producer_pool = None


def _wait(contract_ids: Sequence[int], *, timeout: float) -> bool:
    """Until each contract's latest status version is written to its deal."""
    deadline = time.monotonic() + timeout
    pending = Contract.objects.filter(pk__in=contract_ids, status_pushed_version__lt=F("status_version"))
    while time.monotonic() < deadline:
        if not pending.exists():
            return True
        time.sleep(0.1)
    return False


def _measure(
    sandbox: RunningSandbox,
    changes: Sequence[Change],
    since: datetime,
    options: StatusOptions,
    first_write: float,
    notes: list[str],
) -> StatusReport:
    """Per change: the first time after it that the deal took that status at the sandbox. A change
    overtaken by the next one of its contract before it was written has no such time."""
    portal = sandbox.state.portals[PORTAL]
    latencies: list[float] = []
    for change in changes:
        history = portal.records["deals"][int(change.deal_id)].history.get(PROPERTY, [])
        moments = sorted(
            entry.timestamp_ms
            for entry in history
            if entry.value == change.status and entry.timestamp_ms >= change.at.timestamp() * 1000 - 1
        )
        if moments:
            updated = datetime.fromtimestamp(moments[0] / 1000, tz=UTC)
            latencies.append(max(0.0, (updated - change.at).total_seconds()))
    contract_ids = {change.contract_id for change in changes}
    final = Contract.objects.filter(pk__in=contract_ids)
    in_sync = sum(
        1
        for contract in final
        if contract.status_in_sync
        and portal.records["deals"][int(contract.external_id)].properties.get(PROPERTY)
        == contract.negotiation_status
    )
    return StatusReport(
        changes=len(changes),
        contracts=len(contract_ids),
        interval=options.interval,
        workers=options.workers,
        broker=broker_name(options.broker_url),
        written=len(latencies),
        latencies=latencies,
        deals_final=in_sync,
        first_write=first_write,
        api_calls=ProviderApiCall.objects.filter(
            provider="hubspot", account=str(PORTAL), created_at__gte=since
        ).count(),
        notes=notes,
    )
