"""A task sent with ``.delay()`` goes through the configured broker to a real worker process.

The filesystem broker on the embedded defaults; Redis when CELERY_BROKER_URL says so (CI lane 2).
"""

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from crm_integrations import tasks
from crm_integrations.models import OrganizationIntegration
from tests.conftest import connect_hubspot_sandbox
from tests.subprocesses import child_env

pytestmark = pytest.mark.e2e  # real processes (tests/markers.py)

ROOT = Path(__file__).resolve().parents[2]
WORKER_STARTUP_AND_TASK_SECONDS = 90
WORKER_OPTIONS = ("--pool", "solo", "--concurrency", "1", "--loglevel", "INFO")
WORKER_OPTIONS += ("--without-gossip", "--without-mingle", "--without-heartbeat")  # start faster


@pytest.fixture
def celery_worker(transactional_db, hubspot_sandbox, tmp_path):
    """A `celery worker` process on this test's database and broker; always stopped afterwards."""
    assert not celery_app.conf.task_always_eager, "eager tasks would never reach the broker"
    celery_app.control.purge()  # earlier tests' messages are not this test's to run
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", *WORKER_OPTIONS],
            cwd=ROOT,
            env=child_env(HUBSPOT_SANDBOX_URL=hubspot_sandbox.base_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    yield worker, log
    worker.terminate()  # warm shutdown
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def wait_until(predicate, *, worker, log, seconds):
    deadline = time.monotonic() + seconds
    while not predicate():
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"nothing happened within {seconds} s; worker log:\n{log.read_text()}")
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_a_delayed_refresh_is_run_by_a_real_worker_through_the_broker(
    organization, hubspot_sandbox, celery_worker
):
    worker, log = celery_worker
    connection = connect_hubspot_sandbox(hubspot_sandbox, organization, expires_at=timezone.now())  # due
    first_token = connection.access_token

    sent = tasks.refresh_connection_tokens.delay(str(connection.pk))

    def refreshed() -> bool:
        return OrganizationIntegration.objects.get(pk=connection.pk).access_token != first_token

    wait_until(refreshed, worker=worker, log=log, seconds=WORKER_STARTUP_AND_TASK_SECONDS)
    stored = OrganizationIntegration.objects.get(pk=connection.pk)
    assert stored.expires_at > timezone.now() + timedelta(minutes=25)
    wait_until(lambda: f"[{sent.id}] succeeded" in log.read_text(), worker=worker, log=log, seconds=10)
