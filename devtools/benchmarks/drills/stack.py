"""What every drill runs against, started once per run: a HubSpot sandbox in this process with a
portal of its own, the app as in production (gunicorn, ``serve_app``; a prefork Celery worker,
``run_worker``) on a private ``VAR_DIR``, the fast beat (``beat.FastBeat``), and an organization
connected to the portal with real tokens, starter rules and follow-up tasks on (the routing latency
benchmark's setup, devtools/benchmarks/routing/latency.py)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.urls import reverse

from crm_integrations.models import OrganizationIntegration
from devtools.benchmarks.harness.fresh_db import fresh_sqlite_database
from devtools.benchmarks.harness.portal import remove_benchmark_data, sandbox_app, start_portal_sandbox
from devtools.benchmarks.harness.web_server import serve_app
from devtools.benchmarks.harness.worker import run_worker
from devtools.benchmarks.routing.latency import LEAD_SUBSCRIPTIONS, routing_connection, warm_up
from devtools.sandboxes.hubspot import RunningSandbox
from routing.models import RoutingPolicy

from .beat import FastBeat

SLUG = "reliability-drills"
PORTAL = 24_900_003
#: HubSpot's budget for public apps; the app keeps a tenth below it (as the latency benchmark).
API_LIMIT = 110
OWN_LIMIT = 100


@dataclass(frozen=True)
class DrillOptions:
    leads: int = 20  # new leads per drill
    drills: tuple[str, ...] = ()  # empty: every drill
    outage_seconds: float = 20.0  # the web app is down this long in the web-down drill
    fault_seconds: float = 10.0  # CRM faults stay on this long after the leads were created
    web_workers: int = 2
    workers: int = 2
    beat_interval: float = 2.0
    #: Multiplies HubSpot's webhook retry delays (60 s, 120 s, 300 s, ...): 0.05 makes them 3, 6, 15 s.
    retry_time_scale: float = 0.05
    timeout: float = 180.0  # most seconds a drill waits for its owners
    fresh_db: bool = True


@dataclass
class Stack:
    sandbox: RunningSandbox
    connection: OrganizationIntegration
    var_dir: Path
    beat: FastBeat
    web_workers: int
    env: dict[str, str]
    port: int | None = None  # gunicorn's, chosen when it first starts
    _web: ExitStack = field(default_factory=ExitStack)

    @property
    def events_path(self) -> str:
        return reverse("crm_integrations:webhook_events", args=["hubspot"])

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.events_path}"

    @property
    def secret(self) -> str:
        return sandbox_app()["CLIENT_SECRET"]

    def start_web(self) -> None:
        """gunicorn on a free port, then always the same one: the sandbox retries where it sent."""
        app = {"var_dir": str(self.var_dir), "extra_env": self.env, "port": self.port}
        base_url = self._web.enter_context(serve_app(self.web_workers, ready_path=self.events_path, **app))
        self.port = int(base_url.rpartition(":")[2])

    def stop_web(self) -> None:
        self._web.close()

    def webhooks(self, on: bool) -> None:
        """The sandbox sends its lead webhooks to the app (on) or nowhere (off: they are lost)."""
        self.sandbox.control.configure_webhooks(
            targetUrl=self.events_url if on else None, subscriptions=LEAD_SUBSCRIPTIONS
        )

    def create_leads(self, count: int) -> list[str]:
        """New unowned leads created "by a user" at the CRM (each sends its creation webhook)."""
        seeded = self.sandbox.control.seed_leads(count, portal_id=PORTAL, fresh=True, unowned=True)
        return [str(number) for number in range(int(seeded["firstId"]), int(seeded["lastId"]) + 1)]

    def refresh(self) -> OrganizationIntegration:
        self.connection.refresh_from_db()
        return self.connection


@contextmanager
def running_stack(options: DrillOptions) -> Iterator[Stack]:
    folder = Path(tempfile.mkdtemp(prefix="reliability-drills-"))
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        if options.fresh_db:
            cleanup.enter_context(fresh_sqlite_database(folder))
        sandbox = start_portal_sandbox(
            PORTAL, rate_limit_max=API_LIMIT, retry_time_scale=options.retry_time_scale
        )
        cleanup.callback(sandbox.stop)
        connection = routing_connection(sandbox, slug=SLUG, portal_id=PORTAL, name="Reliability drills")
        if not options.fresh_db:
            cleanup.callback(remove_benchmark_data, slug=SLUG, portal_id=PORTAL)
        RoutingPolicy.objects.filter(organization=connection.organization).update(create_tasks=True)
        var_dir = folder / "var"
        var_dir.mkdir()
        env = {"HUBSPOT_SANDBOX_URL": sandbox.base_url, "HUBSPOT_RATE_LIMIT": f"[[{OWN_LIMIT}, 10]]"}
        beat = FastBeat(var_dir, str(connection.pk), options.beat_interval)
        stack = Stack(sandbox, connection, var_dir, beat, options.web_workers, env)
        cleanup.enter_context(run_worker(str(var_dir), options.workers, extra_env=env))
        stack.start_web()
        cleanup.callback(stack.stop_web)
        warm_up(stack.events_url)
        beat.start()
        cleanup.callback(beat.stop)
        yield stack


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Call ``check`` until it is true or ``timeout`` passed; whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
