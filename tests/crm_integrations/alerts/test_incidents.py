"""Incidents (crm_integrations/alerts/): each condition opens one incident, once; it resolves when
the problem is gone; thresholds; one email per opening and per resolution, retried once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_integrations import pruning, tasks
from crm_integrations.alerts import incidents, notices
from crm_integrations.models import (
    BreakerState,
    DeliveryStatus,
    EventOutcome,
    Incident,
    IncidentNotice,
    Membership,
    ProviderApiCall,
    ProviderCircuitBreaker,
    WebhookDelivery,
    WebhookEvent,
)
from crm_integrations.services import upsert_organization_integration

pytestmark = pytest.mark.django_db
ACCOUNT = "24000001"


@pytest.fixture
def connection(organization):
    return upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", external_account_id=ACCOUNT
    )


@pytest.fixture
def admins(organization):
    users = get_user_model().objects
    ann = users.create_user("ann", "ann@example.com", "pw", is_staff=True)
    bob = users.create_user("bob", "bob@example.com", "pw", is_staff=True)
    users.create_user("mo", "mo@example.com", "pw", is_staff=True)  # a member: not told
    Membership.objects.create(organization=organization, user=ann, role=Membership.Role.ADMIN)
    Membership.objects.create(organization=organization, user=bob, role=Membership.Role.ADMIN)
    Membership.objects.create(
        organization=organization, user=users.get(username="mo"), role=Membership.Role.MEMBER
    )
    return ["ann@example.com", "bob@example.com"]


def run(now=None) -> dict[str, int]:
    counts = incidents.evaluate(now=now)
    counts["notices_sent"] = notices.send_due(now=now)
    return counts


def set_status(connection, status: str, reason: str = "") -> None:
    upsert_organization_integration(
        connection.organization, "hubspot", "sandbox", status=status, status_reason=reason
    )


# --- a connection that needs reconnecting ---------------------------------------------------------


def test_needs_reconnection_opens_one_incident_emails_the_admins_once_and_resolves(connection, admins):
    set_status(connection, "needs_reauth", "HubSpot rejected the refresh token.")

    assert run()["opened"] == 1
    assert run().get("opened", 0) == 0  # the second minute: the same incident, no new email
    incident = Incident.objects.get()
    assert incident.kind == "needs_reconnection" and incident.is_open
    assert "HubSpot rejected the refresh token." in incident.details
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert sorted(email.to) == admins
    assert email.subject == "Needs attention: Connection needs reconnecting — Acme Corp · HubSpot (Sandbox)"
    assert "What to do:" in email.body
    assert "/api/v1/integrations/hubspot/auth?organization=" in email.body

    set_status(connection, "connected")
    assert run()["resolved"] == 1
    assert run().get("resolved", 0) == 0
    incident.refresh_from_db()
    assert not incident.is_open and incident.resolution == "The connection was reconnected."
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith(
        "Resolved: Connection needs reconnecting"
    )


def test_a_disconnected_connection_resolves_its_incidents(connection, admins):
    set_status(connection, "needs_reauth")
    run()
    set_status(connection, "disconnected")
    run()
    assert Incident.objects.get().resolution == "The connection was disconnected."


def test_the_database_allows_one_open_incident_per_connection_and_kind(connection):
    Incident.objects.create(organization=connection.organization, connection=connection, kind="breaker_open")
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(
            organization=connection.organization, connection=connection, kind="breaker_open"
        )
    Incident.objects.update(resolved_at=timezone.now())
    Incident.objects.create(organization=connection.organization, connection=connection, kind="breaker_open")


# --- a circuit breaker failing for too long -------------------------------------------------------


def call(minutes_ago: float, *, ok: bool) -> None:
    ProviderApiCall.objects.create(
        provider="hubspot",
        account=ACCOUNT,
        method="GET",
        endpoint="/crm/v3/owners",
        status_code=200 if ok else 503,
        error_kind="" if ok else "server_error",
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def open_breaker(minutes_ago: float) -> ProviderCircuitBreaker:
    return ProviderCircuitBreaker.objects.create(
        provider="hubspot",
        account=ACCOUNT,
        state=BreakerState.OPEN,
        fail_counter=5,
        opened_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_a_breaker_failing_longer_than_the_threshold_opens_an_incident(connection, admins, settings):
    settings.ALERTS = {**settings.ALERTS, "BREAKER_OPEN_MINUTES": 10}
    call(30, ok=True)
    call(12, ok=False)
    call(1, ok=False)
    open_breaker(minutes_ago=0.5)  # reopened by the last failed probe: failing for 12 minutes all the same

    assert run()["opened"] == 1
    assert "failed for 12 minutes" in Incident.objects.get(kind="breaker_open").details

    ProviderCircuitBreaker.objects.update(state=BreakerState.CLOSED)
    call(0, ok=True)
    assert run()["resolved"] == 1


def test_a_breaker_open_for_less_than_the_threshold_opens_nothing(connection, settings):
    settings.ALERTS = {**settings.ALERTS, "BREAKER_OPEN_MINUTES": 10}
    call(30, ok=True)
    call(8, ok=False)
    open_breaker(minutes_ago=1)
    assert run().get("opened", 0) == 0

    settings.ALERTS = {**settings.ALERTS, "BREAKER_OPEN_MINUTES": 5}
    assert run()["opened"] == 1


# --- webhooks arriving, nothing taken in ----------------------------------------------------------


def event(connection, minutes_ago: float, outcome: str, key: str) -> WebhookEvent:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    delivery = WebhookDelivery.objects.create(
        provider="hubspot", method="POST", url="/", received_at=at, status=DeliveryStatus.PROCESSED
    )
    return WebhookEvent.objects.create(
        delivery=delivery,
        connection=connection,
        dedupe_key=key,
        object_type="leads",
        object_id=key,
        outcome=outcome,
        created_at=at,
    )


def test_webhooks_waiting_past_the_threshold_with_nothing_taken_in_open_an_incident(connection, settings):
    settings.ALERTS = {**settings.ALERTS, "INTAKE_STALL_MINUTES": 30}
    event(connection, 45, EventOutcome.INGESTED, "a")  # taken in before the stall began
    event(connection, 40, EventOutcome.ERROR, "b")
    event(connection, 20, EventOutcome.PENDING, "c")
    event(connection, 10, EventOutcome.IGNORED, "d")  # our own echo: not a new record

    assert run()["opened"] == 1
    incident = Incident.objects.get(kind="intake_stalled")
    assert (
        incident.details
        == "HubSpot sent 2 changes by webhook over the last 40 minutes and none has been taken in as a lead."
    )

    WebhookEvent.objects.filter(dedupe_key__in=["b", "c"]).update(outcome=EventOutcome.INGESTED)
    assert run()["resolved"] == 1


def test_a_lead_taken_in_after_the_oldest_waiting_event_is_no_stall(connection, settings):
    settings.ALERTS = {**settings.ALERTS, "INTAKE_STALL_MINUTES": 30}
    event(connection, 40, EventOutcome.ERROR, "b")  # one record the mapping refused
    event(connection, 5, EventOutcome.INGESTED, "c")  # while others come in
    assert run().get("opened", 0) == 0


def test_events_waiting_less_than_the_threshold_are_no_stall(connection, settings):
    settings.ALERTS = {**settings.ALERTS, "INTAKE_STALL_MINUTES": 30}
    event(connection, 25, EventOutcome.PENDING, "c")
    assert run().get("opened", 0) == 0


# --- notices: once, retried once, never lost --------------------------------------------------------


def test_a_failing_smtp_keeps_the_incident_and_retries_the_email_once_later(
    connection, admins, settings, monkeypatch
):
    settings.ALERTS = {**settings.ALERTS, "NOTICE_RETRY_SECONDS": 300}
    set_status(connection, "needs_reauth")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp.example.com:587 password=hunter2")

    monkeypatch.setattr(notices, "send_mail", refuse)
    run()
    notice = IncidentNotice.objects.get()
    assert Incident.objects.get().is_open
    assert (notice.status, notice.attempts) == ("retry", 1)
    assert notice.error == "Sending failed (ConnectionRefusedError)."  # nothing the error carried

    monkeypatch.undo()
    assert run()["notices_sent"] == 0  # not before the retry delay
    later = timezone.now() + timedelta(seconds=301)
    assert notices.send_due(now=later) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, len(mail.outbox)) == ("sent", 2, 1)
    assert notices.send_due(now=later + timedelta(hours=1)) == 0


def test_a_notice_failing_twice_is_marked_failed_and_not_tried_again(connection, admins, monkeypatch):
    set_status(connection, "needs_reauth")
    monkeypatch.setattr(notices, "send_mail", lambda *a, **k: 1 / 0)
    run()
    notices.send_due(now=timezone.now() + timedelta(hours=1))
    notices.send_due(now=timezone.now() + timedelta(hours=2))
    notice = IncidentNotice.objects.get()
    assert (notice.status, notice.attempts) == ("failed", 2)


def test_an_organization_without_administrators_emails_nobody(connection):
    set_status(connection, "needs_reauth")
    run()
    assert IncidentNotice.objects.get().status == "skipped" and mail.outbox == []


def test_the_beat_task_evaluates_and_sends(connection, admins):
    set_status(connection, "needs_reauth")
    result = tasks.evaluate_alerts.apply().get()
    assert result == {"opened": 1, "notices_sent": 1}
    assert tasks.evaluate_alerts.apply().get() == {"open": 1, "notices_sent": 0}


# --- retention ----------------------------------------------------------------------------------------


def test_resolved_incidents_past_the_retention_are_pruned_open_ones_never(connection, settings):
    settings.DATA_RETENTION = {**settings.DATA_RETENTION, "INCIDENT_DAYS": 30}
    old = timezone.now() - timedelta(days=60)
    gone = Incident.objects.create(
        organization=connection.organization,
        connection=connection,
        kind="breaker_open",
        opened_at=old,
        resolved_at=old,
    )
    IncidentNotice.objects.create(incident=gone, event="opened", channel="email")
    kept_open = Incident.objects.create(
        organization=connection.organization, connection=connection, kind="needs_reconnection", opened_at=old
    )
    recent = Incident.objects.create(
        organization=connection.organization,
        connection=connection,
        kind="breaker_open",
        opened_at=old,
        resolved_at=timezone.now() - timedelta(days=2),
    )
    policy = next(p for p in pruning.all_policies() if p.name == "incidents")
    assert pruning.run_policy(policy) == 1
    assert set(Incident.objects.values_list("pk", flat=True)) == {kept_open.pk, recent.pk}
    assert not IncidentNotice.objects.exists()
