"""Connecting monday with a personal API token instead of OAuth (a service-facing helper).

A personal API token (Developer Center -> My access tokens) acts as its user and never expires, so the
connection stores it as ``access_token`` with no refresh token and no expiry; the client sends it as is.
The account is read from the token itself; the board holding the leads goes in ``settings["board_id"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.oauth import TokenSet

from .client import BOARD_SETTING
from .provider import MondayProvider, identify

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
    connection = connect_organization(
        organization=organization,
        provider=MondayProvider.key,
        environment=environment,
        tokens=TokenSet(access_token=token, refresh_token="", expires_at=None),
        account_id=account_id,
        scopes=(),
    )
    settings = {**(connection.settings or {}), BOARD_SETTING: str(board_id), "auth": "api_token"}
    return upsert_organization_integration(
        organization, MondayProvider.key, environment, settings=settings, last_refreshed_at=timezone.now()
    )
