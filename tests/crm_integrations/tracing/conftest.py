"""Tracing under test: a HubSpot connection routed by the starter rules, a Celery worker in the test
process. The in-memory span exporter (``spans``) is tests/conftest.py's."""

import logging
import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from devtools.demo.rules import starter_rules
from routing.models import OwnerWrite
from routing.reps_sync import sync_reps


@pytest.fixture
def routed(hubspot_connection, monkeypatch):
    monkeypatch.setattr("crm_integrations.hubspot.search.ChangeFeed.lag_seconds", 0)
    starter_rules(hubspot_connection.organization)
    sync_reps(hubspot_connection)
    return hubspot_connection


@pytest.fixture
def worker(transactional_db, settings):
    assert not celery_app.conf.task_always_eager
    celery_app.control.purge()
    root_level = logging.getLogger().level  # the test worker sets the root logger to its "error" level
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield
    finally:
        logging.getLogger().setLevel(root_level)  # later tests read the console log


def wait_for_owner_written(record_id: str, seconds: float = 60.0) -> OwnerWrite:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        write = OwnerWrite.objects.filter(record_id=record_id, status="written").first()
        if write is not None:
            return write
        time.sleep(0.2)
    pytest.fail(f"no owner written for {record_id} within {seconds} s")


def wait_for_span(exporter, name: str, seconds: float = 30.0) -> list:
    """The finished spans once one named ``name`` is among them (a task's span ends after its work)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        finished = exporter.get_finished_spans()
        if any(span.name == name for span in finished):
            return list(finished)
        time.sleep(0.1)
    pytest.fail(f"no span {name} within {seconds} s")
