"""Contract creation benchmark: deals reach a stage in a HubSpot sandbox, whose workflow action POSTs
each (signed v2) to the app, served as in production; timed from the webhook received (the stored
request) to the contract created, and to its files stored.

1. A HubSpot sandbox in this process with a portal of its own (``PORTAL``); an organization
   (``SLUG``) connected to it in the configured database; ``deals`` new deals, each with a company,
   a contact and (``with_files``) a note carrying the seed's small PDF.
2. gunicorn and a prefork Celery worker sharing a private ``VAR_DIR`` (filesystem broker unless
   ``broker_url``) and ``MEDIA_ROOT``; a workflow action at ``STAGE`` pointing at the app.
3. One warm-up deal (not counted), then the deals moved to ``STAGE``, ``interval`` seconds apart.
4. Waits for every contract and its files (or ``timeout``), reads the figures back from the
   database, compares each stored file with the sandbox's bytes of that file, and removes the
   organization unless ``keep``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.files.storage import FileSystemStorage
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, ContractFile, FileState
from crm_integrations.intake.workflow_secrets import SECRET_HEADER, issue_workflow_secret
from crm_integrations.models import OrganizationIntegration, ProviderApiCall, WebhookDelivery
from devtools.benchmarks.harness.portal import in_benchmark_portal, process_env
from devtools.benchmarks.harness.web_server import serve_app
from devtools.benchmarks.harness.worker import broker_name, broker_notes, run_worker
from devtools.sandboxes.hubspot import RunningSandbox

from .report import IntakeReport

SLUG = "contract-creation-benchmark"
PORTAL = 24_900_003
STAGE = "contractsent"  # a real portal's "Legal Review"
START_STAGE = "appointmentscheduled"
#: Inline association type ids (HubSpot-defined): deal -> company, deal -> contact, note -> deal.
DEAL_COMPANY, DEAL_CONTACT, NOTE_DEAL = 5, 3, 214


@dataclass(frozen=True)
class CreationOptions:
    deals: int = 50
    #: One deal a second: each contract costs about 8 HubSpot calls and the portal's budget is 10/s.
    interval: float = 1.0
    web_workers: int = 2  # gunicorn, as the Procfile
    workers: int = 2  # Celery prefork processes, as the Procfile
    with_files: bool = True
    broker_url: str | None = None  # e.g. redis://127.0.0.1:6379/15; None: a private filesystem broker
    keep: bool = False
    timeout: float = 300.0


@in_benchmark_portal(slug=SLUG, portal_id=PORTAL, name="Contract creation benchmark")
def run_benchmark(
    sandbox: RunningSandbox, connection: OrganizationIntegration, var_dir: str, options: CreationOptions
) -> IntakeReport:
    """Called with the options alone: the portal comes from ``in_benchmark_portal``."""
    warm_up, *deals = [_new_deal(sandbox, number, options.with_files) for number in range(options.deals + 1)]
    media_root = f"{var_dir}/media"
    env = process_env(sandbox, options.broker_url, MEDIA_ROOT=media_root)
    path = reverse("crm_integrations:workflow_webhook", args=["hubspot"])
    with (
        serve_app(options.web_workers, ready_path="/healthz", var_dir=var_dir, extra_env=env) as base_url,
        run_worker(var_dir, options.workers, extra_env=env),
    ):
        parameters = {"organization": str(connection.organization_id), "account": str(PORTAL)}
        key = {"name": SECRET_HEADER, "value": issue_workflow_secret(connection), "location": "header"}
        action = {"targetUrl": base_url + path, "stageId": STAGE, "queryParams": parameters, "apiKey": key}
        sandbox.control.configure_workflows(actions=[action], timeout=30)
        _enroll(sandbox, warm_up)
        _wait(connection, [warm_up], with_files=options.with_files, timeout=60)
        since = timezone.now()
        for deal_id in deals:
            _enroll(sandbox, deal_id)
            time.sleep(options.interval)
        finished = _wait(connection, deals, with_files=options.with_files, timeout=options.timeout)
        sandbox.control.configure_workflows(actions=[])
    notes = [] if finished else [f"gave up waiting after {options.timeout:.0f} s"]
    notes.extend(broker_notes(options.broker_url))
    identical = _identical_files(sandbox, connection, deals, media_root)
    return _measure(connection, deals, since, options, notes, identical=identical)


def _new_deal(sandbox: RunningSandbox, number: int, with_files: bool) -> str:
    """A deal at a company with a contact (the seed's), and the seed's small PDF attached by a note."""
    portal = sandbox.state.portals[PORTAL]
    company = sorted(portal.records["companies"])[number % len(portal.records["companies"])]
    contact = portal.associations.first_target("companies", company, "contacts")
    links = [_link(company, DEAL_COMPANY)] + ([_link(contact, DEAL_CONTACT)] if contact else [])
    properties = {"dealname": f"Benchmark deal {number}", "pipeline": "default", "dealstage": START_STAGE}
    deal = sandbox.control.create_record("deals", {**properties, "amount": "12000"}, associations=links)
    if with_files:
        pdf = min(item.id for item in portal.files.values() if item.extension == "pdf")
        note = {"hs_timestamp": "2026-01-05T10:00:00.000Z", "hs_attachment_ids": str(pdf)}
        sandbox.control.create_record("notes", note, associations=[_link(deal["id"], NOTE_DEAL)])
    return str(deal["id"])


def _link(target: object, type_id: int) -> dict:
    return {
        "to": {"id": str(target)},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def _enroll(sandbox: RunningSandbox, deal_id: str) -> None:
    sandbox.control.update_record("deals", deal_id, {"dealstage": STAGE})


def _wait(
    connection: OrganizationIntegration, deal_ids: Sequence[str], *, with_files: bool, timeout: float
) -> bool:
    """Until every deal has its contract and (``with_files``) no file of theirs is still pending."""
    contracts = Contract.objects.filter(organization_id=connection.organization_id, external_id__in=deal_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = ContractFile.objects.filter(contract__in=contracts)
        done = contracts.count() == len(deal_ids) and (
            not with_files
            or (files.count() == len(deal_ids) and not files.filter(state=FileState.PENDING).exists())
        )
        if done:
            return True
        time.sleep(0.2)
    return False


def _identical_files(
    sandbox: RunningSandbox, connection: OrganizationIntegration, deal_ids: Sequence[str], media_root: str
) -> int:
    """The deals' stored files whose content, as the workers stored it (in ``media_root``), is byte
    for byte what the sandbox holds under the file's CRM id: a count of stored rows alone would
    not see a truncated, altered or lost download."""
    storage = FileSystemStorage(location=media_root)
    originals = sandbox.state.portals[PORTAL].files
    stored = ContractFile.objects.filter(
        contract__organization_id=connection.organization_id,
        contract__external_id__in=deal_ids,
        state=FileState.STORED,
    )
    identical = 0
    for row in stored:
        original = originals.get(int(row.external_id))
        try:
            with storage.open(row.file.name, "rb") as content:
                identical += original is not None and content.read() == original.content()
        except OSError:  # not in storage at all: not identical
            continue
    return identical


def _measure(
    connection: OrganizationIntegration,
    deal_ids: Sequence[str],
    since: datetime,
    options: CreationOptions,
    notes: list[str],
    *,
    identical: int,
) -> IntakeReport:
    contracts = Contract.objects.filter(
        organization_id=connection.organization_id, external_id__in=deal_ids
    ).select_related("created_from")
    received = {c.pk: c.created_from.received_at for c in contracts if c.created_from is not None}
    created = [(c.created_at - received[c.pk]).total_seconds() for c in contracts if c.pk in received]
    last_stored = (
        ContractFile.objects.filter(contract__in=contracts, state=FileState.STORED)
        .values("contract")
        .annotate(last=Max("stored_at"))
    )
    stored = [(row["last"] - received[row["contract"]]).total_seconds() for row in last_stored]
    accounts = [str(PORTAL), f"{PORTAL}:files"]
    return IntakeReport(
        deals=len(deal_ids),
        interval=options.interval,
        web_workers=options.web_workers,
        workers=options.workers,
        broker=broker_name(options.broker_url),
        webhooks=WebhookDelivery.objects.filter(kind="workflow", received_at__gte=since).count(),
        contracts=len(contracts),
        created=created,
        files_expected=len(deal_ids) if options.with_files else 0,
        files_stored=len(stored),
        files_identical=identical,
        stored=stored,
        api_calls=ProviderApiCall.objects.filter(
            provider="hubspot", account__in=accounts, created_at__gte=since
        ).count(),
        notes=notes,
    )
