"""Slack incoming webhooks: the URL check (https, hooks.slack.com, a /services/ path) and the post.

The URL is the credential (anyone holding it posts to the channel), so it is stored encrypted
(``AlertSettings.slack_webhook_url``), shown only masked (``masked``) and never put in an error,
a log line or a page: a failed post is described by its status or the error's class alone. The
host is fixed to Slack's (as crm_integrations/core/http/outbound_urls.py fixes file hosts to the
CRM's), so the check is also the guard against a URL pointed at our own network; redirects are
not followed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.core.exceptions import ValidationError

SLACK_HOST = "hooks.slack.com"
TIMEOUT = (3.05, 10.0)
EXAMPLE = "https://hooks.slack.com/services/T…/B…/…"


class SlackPostFailed(Exception):
    """Slack refused or did not answer; the message says how, without the URL."""


def validate_webhook_url(url: str) -> None:
    """Raise ``ValidationError`` unless ``url`` is a Slack incoming-webhook URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValidationError(
            f"This is not a URL. Paste the webhook URL Slack gave you ({EXAMPLE})."
        ) from None
    if parts.scheme != "https":
        raise ValidationError("Only https URLs are accepted.")
    if parts.username or parts.password or port not in (None, 443):
        raise ValidationError(f"Paste the webhook URL exactly as Slack gave it ({EXAMPLE}).")
    if (parts.hostname or "").rstrip(".") != SLACK_HOST:
        raise ValidationError(f"The URL must be on {SLACK_HOST} (Slack's incoming webhooks).")
    if not parts.path.startswith("/services/") or parts.query or parts.fragment:
        raise ValidationError(f"An incoming-webhook URL looks like {EXAMPLE}.")


def masked(url: str) -> str:
    """Enough to recognise the webhook, never enough to use it."""
    if not url:
        return ""
    return f"https://{SLACK_HOST}/services/…{url.strip()[-4:]}"


def post(url: str, text: str) -> None:
    """Post ``text`` to the channel of ``url`` (checked again first); ``SlackPostFailed`` otherwise."""
    try:
        validate_webhook_url(url)
    except ValidationError:
        raise SlackPostFailed("the stored webhook URL is not a Slack incoming-webhook URL") from None
    try:
        response = requests.post(url.strip(), json={"text": text}, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as error:
        raise SlackPostFailed(f"Slack did not answer ({type(error).__name__})") from None
    if response.status_code != 200:
        answer = response.text[:60] if response.status_code < 500 else ""
        detail = f": {answer}" if answer and url not in answer else ""
        raise SlackPostFailed(f"Slack answered {response.status_code}{detail}")
