"""The setting both contract benchmarks share: a HubSpot sandbox portal of their own, connected
to a benchmark organization, and a private ``VAR_DIR`` — all removed afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from crm_integrations.benchmarks.webhook_intake import (
    benchmark_connection,
    remove_benchmark_data,
    sandbox_app,
)
from crm_integrations.models import OrganizationIntegration
from crm_integrations.sandboxes.hubspot import RunningSandbox, start_sandbox


@contextmanager
def benchmark_portal(
    *, slug: str, portal_id: int, name: str, keep: bool
) -> Iterator[tuple[RunningSandbox, OrganizationIntegration, str]]:
    """(sandbox, connection, var dir); ``keep`` leaves the organization for the admin."""
    app = sandbox_app()
    sandbox = start_sandbox(
        port=0,
        portal_id=portal_id,
        client_id=app["CLIENT_ID"],
        client_secret=app["CLIENT_SECRET"],
        seed_leads=0,
    )
    try:
        connection = benchmark_connection(sandbox, slug=slug, portal_id=portal_id, name=name)
        with tempfile.TemporaryDirectory(prefix=f"{slug}-") as var_dir:
            yield sandbox, connection, var_dir
    finally:
        sandbox.stop()
        if not keep:
            remove_benchmark_data(slug=slug, portal_id=portal_id)
