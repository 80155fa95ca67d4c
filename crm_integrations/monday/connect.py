"""Connecting monday with a personal API token instead of OAuth (a service-facing helper).

A personal API token (Developer Center -> My access tokens) acts as its user and never expires, so the
connection stores it as ``access_token`` with no refresh token and no expiry; the client sends it as is.
The account is read from the token itself; the board holding the leads goes in ``settings["board_id"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.oauth import TokenSet

from .accounts import identify
from .boards import subscribe_lead_webhooks
from .client import BOARD_SETTING, MondayClient
from .config import KEY

if TYPE_CHECKING:
    from crm_integrations.models import Organization, OrganizationIntegration


def connect_with_api_token(
    *, organization: Organization, environment: str, api_token: str, board_id: str
) -> OrganizationIntegration:
    """Check the token against monday, then store the connection (refused if another organization
    already owns the account, like an OAuth connection)."""
    from crm_integrations.services import connect_organization, upsert_organization_integration

    token = api_token.strip()
    if not token:
        raise InvalidRequest("The API token is empty.", code="empty_token")
    if not str(board_id).isdigit():
        raise InvalidRequest("A monday board id is a number.", code="invalid_board")
    account_id = identify(environment, token)
    with transaction.atomic():  # the first poll (queued on commit) finds the board already set
        connection = connect_organization(
            organization=organization,
            provider=KEY,
            environment=environment,
            tokens=TokenSet(access_token=token, refresh_token="", expires_at=None),
            account_id=account_id,
            scopes=(),
        )
        settings = {**(connection.settings or {}), BOARD_SETTING: str(board_id), "auth": "api_token"}
        return upsert_organization_integration(
            organization, KEY, environment, settings=settings, last_refreshed_at=timezone.now()
        )


def uses_api_token(connection: OrganizationIntegration) -> bool:
    return (connection.settings or {}).get("auth") == "api_token"


def events_url() -> str:
    """Where monday delivers board webhooks: our public events endpoint."""
    from django.conf import settings
    from django.urls import reverse

    path = reverse("crm_integrations:webhook_events", args=[KEY])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def use_lead_board(connection: OrganizationIntegration, board_id: str) -> list[str]:
    """Take leads from ``board_id``: store it, and (OAuth connections) subscribe its lead webhooks.

    Returns the ids of the webhooks created. A connection by personal API token gets no webhooks:
    monday signs only app webhooks, and our endpoint refuses unsigned ones; polling takes its items in.
    """
    from crm_integrations.services import start_first_poll, upsert_organization_integration

    if not str(board_id).isdigit():
        raise InvalidRequest("A monday board id is a number.", code="invalid_board")
    connection = upsert_organization_integration(
        connection.organization,
        KEY,
        connection.environment,
        settings={**(connection.settings or {}), BOARD_SETTING: str(board_id)},
    )
    transaction.on_commit(lambda: start_first_poll(connection.pk))  # its leads come in now
    if uses_api_token(connection):
        return []
    return subscribe_lead_webhooks(MondayClient(connection).api, str(board_id), events_url())
