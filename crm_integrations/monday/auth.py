"""The ``Authorization`` header for one monday connection, and what a rejected token means.

monday takes the bare token (``Authorization: <token>``, as its own clients, monday-graphql-api and the
Python SDK, send it; monday's "Authentication" doc) for every kind of token. Three kinds of connection
exist:

* a **personal API token** (v2), or a **legacy OAuth token**: ``access_token`` only, no refresh token,
  no expiry. A 401 means the token is gone (revoked, user deactivated, app uninstalled): the connection
  is marked *needs reconnection* and ``AuthRevoked`` is raised; nothing retries it.
* an **OAuth 2.1 token** (a JWT that expires, with a rotating refresh token): refreshed ahead of expiry
  and once after a 401 through ``core.tokens`` (one refresher at a time per connection).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import requests

from crm_integrations.core.errors import AuthRevoked
from crm_integrations.core.tokens import ConnectionAuth, access_token
from crm_integrations.models import ConnectionStatus

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

T = TypeVar("T")


def is_refreshable(connection: OrganizationIntegration) -> bool:
    return bool(connection.refresh_token)


def token_only_access_token(connection: OrganizationIntegration) -> str:
    """The stored token of a connection without a refresh token (it never expires)."""
    if connection.status == ConnectionStatus.NEEDS_REAUTH:
        raise AuthRevoked(f"The connection needs to be reconnected: {connection.status_reason}")
    if connection.status == ConnectionStatus.DISCONNECTED or not connection.access_token:
        raise AuthRevoked("The connection is not connected.")
    return connection.access_token


class MondayAuth(ConnectionAuth):
    """``ConnectionAuth`` with monday's bare header and token-only connections."""

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        if is_refreshable(self.connection):
            self.last_token = access_token(self.connection)  # refreshed first when about to expire
        else:
            self.last_token = token_only_access_token(self.connection)
        prepared.headers["Authorization"] = self.last_token
        return prepared

    def call(self, send: Callable[[], T]) -> T:
        try:
            return super().call(send)
        except AuthRevoked as error:
            if error.status == 401 and not is_refreshable(self.connection):
                self._mark_revoked(error)
            raise

    def _mark_revoked(self, error: AuthRevoked) -> None:
        from crm_integrations.services import mark_needs_reauth

        if self.connection.pk is None or self.connection.status == ConnectionStatus.NEEDS_REAUTH:
            return
        fresh = mark_needs_reauth(
            self.connection, reason=f"monday rejected the API token ({error.code or 'HTTP 401'})."
        )
        self.connection.status, self.connection.status_reason = fresh.status, fresh.status_reason


class StaticTokenAuth:
    """A fixed token (identifying the account of a fresh grant, before any connection exists)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        prepared.headers["Authorization"] = self.token
        return prepared
