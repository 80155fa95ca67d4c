"""Connecting Mini CRM with an API key (a service): the key names its account, the connection
stores it as its access token (no refresh token, no expiry), refused like an OAuth connection when
another organization already owns the account (``crm_integrations.services.connect_organization``)."""

from __future__ import annotations

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.oauth import TokenSet
from crm_integrations.models import Organization, OrganizationIntegration
from crm_integrations.services import connect_organization

from . import config
from .store import STORE


def connect_with_api_key(
    *, organization: Organization, environment: str, api_key: str
) -> OrganizationIntegration:
    key = api_key.strip()
    if not key:
        raise InvalidRequest("The API key is empty.", code="empty_key")
    return connect_organization(
        organization=organization,
        provider=config.KEY,
        environment=environment,
        tokens=TokenSet(access_token=key, refresh_token="", expires_at=None),
        account_id=STORE.account_for(key),
        scopes=(),
    )
