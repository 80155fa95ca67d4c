"""Notices of an incident (opened, resolved) by email to the organization's administrators and,
when the organization set one, to its Slack incoming webhook (crm_integrations/alerts/slack.py).

Written in the transaction that opens or resolves the incident (``queue``), sent after it has
committed (``send_due``, which the beat task ``crm_integrations.tasks.evaluate_alerts`` runs once
the evaluation's transactions are over). Each notice is claimed by a conditional UPDATE before it
is sent, so two runs never both send it; one that fails (SMTP down, Slack refusing) stays a row
marked to retry and is tried once more after ``NOTICE_RETRY_SECONDS``, then marked failed (the
incident stays as it is). A failure is logged and stored as its kind only (an SMTP error may
carry the server's answer, a requests error the Slack URL).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from crm_integrations.models import (
    AlertSettings,
    Incident,
    IncidentNotice,
    Membership,
    NoticeChannel,
    NoticeEvent,
    NoticeStatus,
)

from . import conditions, slack

logger = logging.getLogger(__name__)

#: The first try and one retry.
MAX_ATTEMPTS = 2
#: A notice claimed this long ago and never marked (its process died) is tried again.
STALE_CLAIM = timedelta(minutes=10)


class NobodyToTell(Exception):
    """The organization has no administrator with an email address."""


def queue(incident: Incident, event: str) -> None:
    """One pending notice per channel of the incident's organization (call inside its transaction)."""
    channels = [NoticeChannel.EMAIL]
    if slack_url(incident.organization_id):
        channels.append(NoticeChannel.SLACK)
    IncidentNotice.objects.bulk_create(
        [IncidentNotice(incident=incident, event=event, channel=channel) for channel in channels],
        ignore_conflicts=True,
    )


def slack_url(organization_id: int) -> str:
    row = AlertSettings.objects.filter(organization_id=organization_id).first()
    return row.slack_webhook_url if row else ""


def due(now: datetime) -> list[IncidentNotice]:
    retry_after = timedelta(seconds=int(settings.ALERTS["NOTICE_RETRY_SECONDS"]))
    rows = IncidentNotice.objects.filter(
        Q(status=NoticeStatus.PENDING)
        | Q(status=NoticeStatus.RETRY, claimed_at__lte=now - retry_after)
        | Q(status=NoticeStatus.SENDING, claimed_at__lte=now - STALE_CLAIM),
        attempts__lt=MAX_ATTEMPTS,
    )
    return list(
        rows.select_related("incident__organization", "incident__connection__integration").order_by("pk")
    )


def send_due(*, now: datetime | None = None) -> int:
    """Send every notice due now; how many were sent."""
    now = now or timezone.now()
    return sum(_send(notice, now) for notice in due(now))


def _send(notice: IncidentNotice, now: datetime) -> int:
    claimed = IncidentNotice.objects.filter(
        pk=notice.pk, status=notice.status, attempts=notice.attempts
    ).update(status=NoticeStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return 0  # another run took it
    rows = IncidentNotice.objects.filter(pk=notice.pk)
    try:
        deliver(notice)
    except NobodyToTell:
        rows.update(
            status=NoticeStatus.SKIPPED, error="No administrator of the organization has an email address."
        )
        return 0
    except Exception as error:  # any failure of SMTP or Slack: kept, tried once more later
        again = notice.attempts + 1 < MAX_ATTEMPTS
        rows.update(status=NoticeStatus.RETRY if again else NoticeStatus.FAILED, error=_words(error))
        logger.warning(
            "Incident %s: the %s notice (%s) failed, %s: %s",
            notice.incident_id,
            notice.channel,
            notice.event,
            "tried again later" if again else "given up",
            _words(error),
        )
        return 0
    rows.update(status=NoticeStatus.SENT, sent_at=timezone.now(), error="")
    return 1


def _words(error: Exception) -> str:
    """The failure without anything it may carry (an SMTP password, the Slack URL)."""
    if isinstance(error, slack.SlackPostFailed):
        return str(error)
    return f"Sending failed ({type(error).__name__})."


def deliver(notice: IncidentNotice) -> None:
    incident = notice.incident
    subject, body = message(incident, notice.event)
    if notice.channel == NoticeChannel.SLACK:
        slack.post(slack_url(incident.organization_id), f"*{subject}*\n{body}")
        return
    recipients = administrators_emails(incident.organization_id)
    if not recipients:
        raise NobodyToTell
    send_mail(subject, body, None, recipients, fail_silently=False)


def administrators_emails(organization_id: int) -> list[str]:
    rows = Membership.objects.filter(
        organization_id=organization_id, role=Membership.Role.ADMIN, user__is_active=True
    ).exclude(user__email="")
    return sorted(set(rows.values_list("user__email", flat=True)))


def message(incident: Incident, event: str) -> tuple[str, str]:
    """Subject and plain-text body, in words (labels, never codes)."""
    connection = incident.connection
    crm = f"{connection.integration.name} ({connection.get_environment_display()})"
    where = f"{incident.organization.name} · {crm}"
    label = incident.get_kind_display()
    opened = timezone.localtime(incident.opened_at).strftime("%Y-%m-%d %H:%M %Z")
    if event == NoticeEvent.RESOLVED:
        incident.refresh_from_db(fields=["resolved_at", "resolution"])
        resolved = timezone.localtime(incident.resolved_at or timezone.now()).strftime("%Y-%m-%d %H:%M %Z")
        body = f"{where}\n\n{incident.resolution}\n\nOpened {opened}, resolved {resolved}.\n"
        return f"Resolved: {label} — {where}", body
    lines = [where, "", incident.details, "", f"Opened {opened}."]
    condition = conditions.condition_for(incident.kind)
    if condition is not None:
        fix_label, path = condition.fix(connection)
        lines += ["", f"What to do: {condition.what_to_do}", f"{fix_label}: {absolute(path)}"]
    lines += ["", f"Open incidents are also on the home page: {absolute(reverse('admin:index'))}"]
    return f"Needs attention: {label} — {where}", "\n".join(lines) + "\n"


def absolute(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"
