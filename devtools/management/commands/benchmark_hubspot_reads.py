"""``manage.py benchmark_hubspot_reads``: HubSpot API calls to read 1,000 leads with contact and company.

Starts a HubSpot sandbox on a free port (or uses ``--sandbox-url``), seeds the leads (each with a
new contact at a new or existing company), reads them all with ``HubSpotClient.read_leads_with_context``
(contact, the contact's company and deals, the lead's company) and prints the calls the sandbox
answered, by endpoint, their total against the goal, and the elapsed time. Nothing is stored for
the connection: it lives in memory for the run (the call records are written as for any call).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.hubspot.client import HubSpotClient
from crm_integrations.hubspot.config import hubspot_apps, hubspot_settings
from crm_integrations.models import ConnectionStatus, Integration, OrganizationIntegration, ProviderApiCall
from devtools.sandboxes.hubspot import start_sandbox
from devtools.sandboxes.hubspot.client import SandboxControl

GOAL = 40
_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True)
class BenchmarkReport:
    leads: int
    with_contact: int
    with_company: int
    calls_by_endpoint: dict[str, int]
    recorded_calls: int
    elapsed: float

    @property
    def total_calls(self) -> int:
        return sum(self.calls_by_endpoint.values())


def endpoint_of(entry: dict[str, Any]) -> str:
    """``POST /crm/v3/objects/leads/batch/read``; record ids in paths become ``{id}``."""
    return f"{entry['method']} {_ID_SEGMENT.sub('/{id}', entry['path'])}"


def run_benchmark(client: HubSpotClient, control: SandboxControl, count: int) -> BenchmarkReport:
    """Seed ``count`` leads and read them all with their context, counting the sandbox's answered calls."""
    seeded = control.seed_leads(count)
    lead_ids = [str(number) for number in range(int(seeded["firstId"]), int(seeded["lastId"]) + 1)]
    if len(lead_ids) != seeded["created"]:
        raise CommandError("The sandbox did not hand out consecutive lead ids.")
    control.clear_requests()
    account = client.connection.external_account_id
    recorded_before = ProviderApiCall.objects.filter(provider="hubspot", account=account).count()
    started = time.monotonic()
    leads = client.read_leads_with_context(lead_ids)
    elapsed = time.monotonic() - started
    calls = Counter(endpoint_of(entry) for entry in control.requests())
    return BenchmarkReport(
        leads=len(leads),
        with_contact=sum(1 for lead in leads if lead.associated.get("contacts")),
        with_company=sum(
            1
            for lead in leads
            if lead.associated.get("companies")
            or any(contact.associated.get("companies") for contact in lead.associated.get("contacts", ()))
        ),
        calls_by_endpoint=dict(calls.most_common()),
        recorded_calls=ProviderApiCall.objects.filter(provider="hubspot", account=account).count()
        - recorded_before,
        elapsed=elapsed,
    )


@contextmanager
def sandbox_client(base_url: str) -> Iterator[HubSpotClient]:
    """A client for an in-memory connection to the sandbox at ``base_url`` (tokens from its control API)."""
    control = SandboxControl(base_url)
    tokens = control.token()
    conf = {**hubspot_settings("sandbox"), "AUTH_BASE_URL": base_url, "API_BASE_URL": base_url}
    with override_settings(HUBSPOT={**hubspot_apps(), "sandbox": conf}):
        connection = OrganizationIntegration(
            integration=Integration(provider="hubspot", name="HubSpot"),
            environment="sandbox",
            status=ConnectionStatus.CONNECTED,
            external_account_id=str(tokens["hub_id"]),
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            expires_at=timezone.now() + timedelta(seconds=int(tokens["expires_in"])),
        )
        client = registry.get_client(connection)
        if not isinstance(client, HubSpotClient):
            raise CommandError("CRM_PROVIDERS does not map 'hubspot' to the HubSpot provider.")
        yield client


class Command(BaseCommand):
    help = (
        f"Count the HubSpot API calls used to read N leads with their contact and company (goal: <= {GOAL})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=1000, help="How many leads to seed and read (1000).")
        parser.add_argument(
            "--sandbox-url", help="A running HubSpot sandbox; default: start one on a free port."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sandbox = None if options["sandbox_url"] else start_sandbox(seed_leads=0)
        base_url = options["sandbox_url"] or sandbox.base_url
        try:
            with sandbox_client(base_url) as client:
                report = run_benchmark(client, SandboxControl(base_url), options["leads"])
        finally:
            if sandbox is not None:
                sandbox.stop()
        self._print(report, base_url)

    def _print(self, report: BenchmarkReport, base_url: str) -> None:
        write = self.stdout.write
        write(f"HubSpot reads: {report.leads:,} leads with contact and company (sandbox {base_url})")
        write(f"{'calls':>7}  endpoint")
        for endpoint, calls in report.calls_by_endpoint.items():
            write(f"{calls:>7}  {endpoint}")
        verdict = "OK" if report.total_calls <= GOAL else "OVER THE GOAL"
        write(f"{report.total_calls:>7}  API calls in all (goal <= {GOAL}): {verdict}")
        write(f"{report.recorded_calls:>7}  ProviderApiCall rows written (attempts, retries included)")
        write(f"leads with a contact: {report.with_contact:,}/{report.leads:,}")
        write(f"leads with a company: {report.with_company:,}/{report.leads:,}")
        write(f"elapsed: {report.elapsed:.2f} s")
