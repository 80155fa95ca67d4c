"""Two processes find the same token about to expire: one refreshes, both succeed with the new token."""

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import upsert_organization_integration
from tests.subprocesses import child_env
from tests.windows import Window, overlapping

ROOT = Path(__file__).resolve().parents[3]
#: The sandbox holds every token call this long, so the second process asks while the first is
#: still refreshing (without it a refresh takes milliseconds and the race may never happen).
SLOW_TOKEN_SECONDS = 1.5


@pytest.mark.django_db(transaction=True)
def test_two_processes_one_refresh_both_succeed(organization, hubspot_sandbox):
    granted = hubspot_sandbox.control.token()
    connection = upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id=str(granted.get("hub_id", "24000001")),
        access_token=granted["access_token"],
        refresh_token=granted["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=30),  # inside the refresh margin
    )
    hubspot_sandbox.control.clear_requests()
    hubspot_sandbox.control.set_faults(slowShare=1.0, slowSeconds=SLOW_TOKEN_SECONDS, pathPrefix="/oauth/")
    env = child_env(HUBSPOT_SANDBOX_URL=hubspot_sandbox.base_url)
    start_at = time.time() + 3
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.crm_integrations.oauth.refresh_worker",
                str(connection.pk),
                str(start_at),
                f"worker-{n}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    runs = []
    for worker in workers:
        out, err = worker.communicate(timeout=90)
        assert worker.returncode == 0, err
        runs.append(json.loads(out.strip().splitlines()[-1]))
    results = [run["token"] for run in runs]
    asked = [Window(**window) for run in runs for window in run["asked"]]
    refreshed = [Window(**window) for run in runs for window in run["refreshed"]]

    refreshes = [
        call
        for call in hubspot_sandbox.control.requests(path_prefix="/oauth/")
        if call["method"] == "POST" and call["path"].endswith("/token")
    ]
    stored = OrganizationIntegration.objects.get(pk=connection.pk)
    assert len(refreshes) == 1, refreshes
    assert results[0] == results[1] == stored.access_token != granted["access_token"]
    assert stored.refresh_token == granted["refresh_token"]
    assert stored.expires_at > timezone.now() + timedelta(minutes=25)
    assert stored.refresh_lease_until is None

    # The race happened: one process refreshed under the lease, and the other asked for a token
    # while that refresh was under way and got its answer only after it (it waited, then used it).
    assert len(refreshed) == 1, refreshed
    (refresh,) = refreshed
    (waiter,) = [window for window in asked if window.worker != refresh.worker]
    assert overlapping([waiter], [refresh]), (waiter, refresh)
    assert waiter.end >= refresh.end, (waiter, refresh)
