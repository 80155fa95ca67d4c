"""The sandbox portal every benchmark and drill runs against: a HubSpot sandbox on a free port whose
OAuth app is the app's "sandbox" environment, a benchmark organization connected to one portal of it,
and the clean-up that deletes exactly what a run wrote (its organization ``slug`` and ``portal_id``,
a portal no real connection uses), before a run (a leftover of ``--keep`` or a crash) and after it.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol, TypeVar

from django.core.management.base import CommandError
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from crm_integrations.hubspot.config import hubspot_apps
from crm_integrations.models import (
    Integration,
    Organization,
    OrganizationIntegration,
    ProviderApiCall,
    ProviderCircuitBreaker,
    WebhookDelivery,
    WebhookEvent,
)
from crm_integrations.services import upsert_organization_integration
from devtools.benchmarks.harness.load import USER_AGENT
from devtools.sandboxes.hubspot import RunningSandbox, start_sandbox

ENVIRONMENT = "sandbox"


def sandbox_app() -> dict[str, str]:
    """The app's "sandbox" HubSpot app settings: the sandbox must sign and issue tokens with them."""
    conf = hubspot_apps().get(ENVIRONMENT) or {}
    if not conf.get("CLIENT_SECRET") or not conf.get("CLIENT_ID"):
        raise CommandError("HUBSPOT_SANDBOX_CLIENT_ID and HUBSPOT_SANDBOX_CLIENT_SECRET must be set.")
    return conf


def start_portal_sandbox(portal_id: int, *more_portals: int, **config: object) -> RunningSandbox:
    """A HubSpot sandbox on a free port for ``portal_id`` (and ``more_portals``: the fairness
    benchmark's second organization), no leads seeded, whose OAuth app is the app's "sandbox"
    environment (its client secret: the webhooks it signs verify); ``config``: more
    ``SandboxConfig`` fields."""
    app = sandbox_app()
    return start_sandbox(
        port=0,
        portal_ids=(portal_id, *more_portals),
        client_id=app["CLIENT_ID"],
        client_secret=app["CLIENT_SECRET"],
        **{"seed_leads": 0, **config},
    )


def process_env(sandbox: RunningSandbox, broker_url: str | None, **more: str) -> dict[str, str]:
    """What the gunicorn and Celery processes a benchmark starts are told: the sandbox's URL, the
    broker (when not the private filesystem one) and ``more``."""
    env = {"HUBSPOT_SANDBOX_URL": sandbox.base_url, **more}
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    return env


@contextmanager
def pointed_at(sandbox: RunningSandbox) -> Iterator[None]:
    """This process's "sandbox" HubSpot environment talks to ``sandbox`` (for the processing part)."""
    conf = {**sandbox_app(), "AUTH_BASE_URL": sandbox.base_url, "API_BASE_URL": sandbox.base_url}
    with override_settings(HUBSPOT={**hubspot_apps(), ENVIRONMENT: conf}):
        yield


def remove_benchmark_data(delivery_ids: Sequence[int] = (), *, slug: str, portal_id: int) -> None:
    """Delete the benchmark organization (its connection, mapping, leads) and the portal's records."""
    portal = str(portal_id)
    deliveries = WebhookDelivery.objects.filter(
        Q(pk__in=list(delivery_ids)) | Q(organization__slug=slug) | Q(**{"headers__User-Agent": USER_AGENT})
    )
    # Duplicates first: deleting an original would set their duplicate_of to NULL, making them
    # originals with the same dedupe key (the unique constraint refuses that).
    WebhookEvent.objects.filter(delivery__in=deliveries).exclude(duplicate_of=None).delete()
    deliveries.delete()
    Organization.objects.filter(slug=slug).delete()
    ProviderApiCall.objects.filter(provider="hubspot", account=portal).delete()
    ProviderCircuitBreaker.objects.filter(provider="hubspot", account=portal).delete()


def benchmark_connection(
    sandbox: RunningSandbox, *, slug: str, portal_id: int, name: str
) -> OrganizationIntegration:
    """A fresh organization ``slug`` with a connected sandbox HubSpot connection to ``portal_id``."""
    if not Integration.objects.filter(provider="hubspot", enabled=True).exists():
        raise CommandError("The HubSpot integration is not in the catalogue: run `manage.py migrate`.")
    remove_benchmark_data(slug=slug, portal_id=portal_id)
    organization = Organization.objects.create(name=name, slug=slug)
    tokens = sandbox.control.token(portal_id=portal_id, expires_in=4 * 3600)
    return upsert_organization_integration(
        organization,
        "hubspot",
        ENVIRONMENT,
        status="connected",
        external_account_id=str(portal_id),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=int(tokens["expires_in"])),
        scopes=list(tokens.get("scopes") or []),
    )


@contextmanager
def benchmark_portal(
    *, slug: str, portal_id: int, name: str, keep: bool
) -> Iterator[tuple[RunningSandbox, OrganizationIntegration, str]]:
    """(sandbox, connection, private ``VAR_DIR``), all removed afterwards; ``keep`` leaves the
    organization for the admin. The contract benchmarks (devtools/benchmarks/contracts/) run in it."""
    sandbox = start_portal_sandbox(portal_id)
    try:
        connection = benchmark_connection(sandbox, slug=slug, portal_id=portal_id, name=name)
        with tempfile.TemporaryDirectory(prefix=f"{slug}-") as var_dir:
            yield sandbox, connection, var_dir
    finally:
        sandbox.stop()
        if not keep:
            remove_benchmark_data(slug=slug, portal_id=portal_id)


class KeepOption(Protocol):
    @property
    def keep(self) -> bool:  # leave the organization for the admin afterwards
        ...


Options = TypeVar("Options", bound=KeepOption)
Report = TypeVar("Report")
#: A benchmark run in its portal: (sandbox, connection, private ``VAR_DIR``, options) -> its report.
PortalRun = Callable[[RunningSandbox, OrganizationIntegration, str, Options], Report]


def in_benchmark_portal(
    *, slug: str, portal_id: int, name: str
) -> Callable[[PortalRun[Options, Report]], Callable[[Options], Report]]:
    """Make a ``PortalRun`` a benchmark called with its options alone, run in a ``benchmark_portal``
    of its own: the contract benchmarks' entry points (devtools/benchmarks/contracts/creation.py and
    status.py), which differ only in what they do there."""

    def decorate(run: PortalRun[Options, Report]) -> Callable[[Options], Report]:
        @functools.wraps(run)
        def run_benchmark(options: Options) -> Report:
            with benchmark_portal(slug=slug, portal_id=portal_id, name=name, keep=options.keep) as setting:
                return run(*setting, options)

        return run_benchmark

    return decorate
