"""Polling: changed records since the cursor go to the intake; the cursor moves only after they are stored."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm_integrations import selectors
from crm_integrations.intake import polling, tasks
from crm_integrations.models import SyncCursor
from crm_integrations.services import upsert_organization_integration
from crm_integrations.signals import Outcome, records_changed

LONG_AGO = timezone.now() - timedelta(days=400)


@pytest.fixture
def connection(hubspot_connection):
    return hubspot_connection


@pytest.fixture
def intake(without_lead_intake):
    taken, failing = [], {"on": False}

    def receiver(sender, connection, object_type, external_ids, source, **kwargs):
        if failing["on"]:
            raise RuntimeError("database is down")
        taken.extend(external_ids)
        return {external_id: Outcome("ingested") for external_id in external_ids}

    records_changed.connect(receiver, dispatch_uid="test-poll-intake")
    yield taken, failing
    records_changed.disconnect(dispatch_uid="test-poll-intake")


def test_a_poll_takes_in_every_changed_lead_once_and_stores_the_cursor(connection, intake, hubspot_sandbox):
    taken, _ = intake
    result = polling.poll(connection, "leads", since=LONG_AGO)

    assert result.records == len(taken) == len(set(taken)) > 0
    cursor = SyncCursor.objects.get(connection=connection, object_type="leads")
    assert cursor.cursor == result.cursor and cursor.last_polled_at is not None

    again = polling.poll(connection, "leads")  # from the stored cursor: nothing new
    assert again.records == 0
    assert len(taken) == result.records


def test_when_the_intake_fails_the_cursor_stays_and_the_next_poll_reads_the_same_records(connection, intake):
    taken, failing = intake
    failing["on"] = True
    with pytest.raises(polling.IntakeFailed, match="database is down"):
        polling.poll(connection, "leads", since=LONG_AGO)
    assert SyncCursor.objects.get(connection=connection).cursor == ""

    failing["on"] = False
    SyncCursor.objects.filter(connection=connection).update(cursor=LONG_AGO.isoformat())
    assert polling.poll(connection, "leads").records == len(taken) > 0


def test_the_beat_dispatches_polls_by_each_connections_interval(connection, intake, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.poll_connection, "delay", lambda *args: sent.append(args))

    assert tasks.poll_due_connections() == 1
    assert sent == [(str(connection.pk), "leads")]
    SyncCursor.objects.filter(connection=connection).update(last_polled_at=timezone.now())
    assert tasks.poll_due_connections() == 0  # not due again for 5 minutes
    SyncCursor.objects.filter(connection=connection).update(
        last_polled_at=timezone.now() - timedelta(minutes=6)
    )
    assert tasks.poll_due_connections() == 1
    SyncCursor.objects.filter(connection=connection).update(poll_every_minutes=0)
    assert tasks.poll_due_connections() == 0


def test_a_connection_that_needs_reauth_is_not_polled(connection, intake, monkeypatch):
    upsert_organization_integration(connection.organization, "hubspot", "sandbox", status="needs_reauth")
    assert selectors.connections_due_for_poll() == []
    assert tasks.poll_connection.apply(args=[str(connection.pk), "leads"]).get() == (
        "skipped: the connection is needs_reauth"
    )


def test_the_backfill_command_takes_in_the_last_days(connection, intake, capsys):
    taken, _ = intake
    call_command("backfill_leads", str(connection.pk), "--days", "400")
    assert f"Took in {len(taken)} record(s)" in capsys.readouterr().out
    assert len(taken) > 0
