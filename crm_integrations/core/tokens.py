"""Access tokens that stay valid: refresh ahead of expiry and on a 401, one refresher at a time.

"Connect and forget": a lease on the connection row (``crm_integrations/core/leases.py``: a
conditional UPDATE, so it holds on SQLite and PostgreSQL alike) lets exactly one process refresh;
the others wait, re-read the row and use the tokens it stored. New tokens are stored before anyone
uses them. A refresh token the provider rejects marks the connection ``needs_reauth`` once, and
nothing retries it in a loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import requests
from django.conf import settings
from django.utils import timezone

from crm_integrations.models import ConnectionStatus, OrganizationIntegration

from . import oauth, registry
from .errors import AuthExpired, AuthRevoked, RetryLater
from .leases import Mark, RowLease

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Added to the slowest a token call can take (connect + read timeout) for the lease's length.
LEASE_MARGIN_SECONDS = 15
WAIT_FOR_OTHER_REFRESHER_SECONDS = 20
#: The refresher's lease on the connection row; its end marks its holder (no token column).
REFRESH_LEASE = RowLease("refresh_lease_until")


def needs_refresh(connection: OrganizationIntegration) -> bool:
    margin = timedelta(seconds=settings.CRM_TOKEN_REFRESH_MARGIN)
    return connection.expires_at is not None and connection.expires_at - margin <= timezone.now()


def access_token(connection: OrganizationIntegration) -> str:
    """A usable access token for ``connection`` (refreshed first when it is about to expire)."""
    _raise_if_unusable(connection)
    if needs_refresh(connection):
        _copy_tokens(refresh_tokens(connection.pk), into=connection)
    return connection.access_token


def refresh_tokens(
    connection_id: object, *, if_token_is: str | None = None, force: bool = False
) -> OrganizationIntegration:
    """Refresh the connection's tokens unless another process just did; return the fresh row.

    ``if_token_is``: refresh only while this (rejected) access token is still the stored one.
    ``force``: refresh even if not near expiry (the daily keep-alive).
    """
    deadline = time.monotonic() + WAIT_FOR_OTHER_REFRESHER_SECONDS
    while True:
        connection = OrganizationIntegration.objects.select_related("integration").get(pk=connection_id)
        _raise_if_unusable(connection)
        if not _still_needed(connection, if_token_is=if_token_is, force=force):
            return connection
        lease = _take_lease(connection_id)
        if lease is not None:
            break
        if time.monotonic() > deadline:
            raise RetryLater("Another process is still refreshing this connection.", retry_after=5)
        time.sleep(0.2)
    try:
        # Re-read under the lease: the previous holder may have refreshed just before we got it.
        connection = OrganizationIntegration.objects.select_related("integration").get(pk=connection_id)
        if not _still_needed(connection, if_token_is=if_token_is, force=force):
            return connection
        return _refresh(connection)
    finally:
        REFRESH_LEASE.release(OrganizationIntegration.objects.filter(pk=connection_id), lease)


def _still_needed(connection: OrganizationIntegration, *, if_token_is: str | None, force: bool) -> bool:
    if if_token_is is not None:
        return connection.access_token == if_token_is
    return force or needs_refresh(connection)


def lease_seconds() -> float:
    """Longer than the slowest token call (connect + read timeout) plus a margin: a lease that ran
    out while its holder still waited for the CRM would let a second process refresh with the same
    rotating refresh token, and the loser would mark the connection ``needs_reauth``."""
    http = settings.CRM_HTTP
    return float(http["CONNECT_TIMEOUT"]) + float(http["READ_TIMEOUT"]) + LEASE_MARGIN_SECONDS


def _take_lease(connection_id: object) -> Mark | None:
    """The lease's end, which is also its holder's mark, or None when another process holds it."""
    return REFRESH_LEASE.take(
        OrganizationIntegration.objects.filter(pk=connection_id), timedelta(seconds=lease_seconds())
    )


def _refresh(connection: OrganizationIntegration) -> OrganizationIntegration:
    from crm_integrations.services import mark_needs_reauth, upsert_organization_integration

    app = registry.get_provider(connection.provider).oauth_app(connection.environment)
    try:
        tokens = oauth.refresh(app, refresh_token=connection.refresh_token)
    except AuthRevoked as error:
        mark_needs_reauth(connection, reason=f"The CRM rejected the refresh token ({error.code}).")
        raise
    logger.info("Refreshed tokens of connection %s (%s)", connection.pk, connection.provider)
    stored = upsert_organization_integration(
        connection.organization,
        connection.provider,
        connection.environment,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or connection.refresh_token,
        expires_at=tokens.expires_at,
        last_refreshed_at=timezone.now(),
        status=ConnectionStatus.CONNECTED,
        status_reason="",
    )
    return _store_learned_expiry(stored, tokens)


def _store_learned_expiry(
    connection: OrganizationIntegration, tokens: oauth.TokenSet
) -> OrganizationIntegration:
    """Ask the provider when the new access token expires (``CrmProvider.expiry_from_grant``: a CRM
    without ``expires_in`` may introspect) once the tokens are stored, so a slow answer can never
    leave a rotated refresh token unstored while the lease runs out."""
    from crm_integrations.services import upsert_organization_integration

    expires_at = registry.get_provider(connection.provider).expiry_from_grant(connection.environment, tokens)
    if expires_at == connection.expires_at:
        return connection
    return upsert_organization_integration(
        connection.organization, connection.provider, connection.environment, expires_at=expires_at
    )


def _raise_if_unusable(connection: OrganizationIntegration) -> None:
    if connection.status == ConnectionStatus.NEEDS_REAUTH:
        raise AuthRevoked(f"The connection needs to be reconnected: {connection.status_reason}")
    if connection.status == ConnectionStatus.DISCONNECTED or not connection.refresh_token:
        raise AuthRevoked("The connection is not connected.")


def _copy_tokens(source: OrganizationIntegration, *, into: OrganizationIntegration) -> None:
    for name in (
        "access_token",
        "refresh_token",
        "expires_at",
        "status",
        "status_reason",
        "last_refreshed_at",
    ):
        setattr(into, name, getattr(source, name))


class ConnectionAuth:
    """The HTTP layer's auth hook for one connection, plus the one retry after a 401.

    Set as ``ProviderHttpClient(auth=...)``; wrap each call in :meth:`call` so that a 401 with a
    token that is still the stored one triggers one refresh (shared with every other process)
    and one more attempt.
    """

    def __init__(self, connection: OrganizationIntegration) -> None:
        self.connection = connection
        self.last_token: str | None = None

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        self.last_token = access_token(self.connection)
        prepared.headers["Authorization"] = f"Bearer {self.last_token}"
        return prepared

    def call(self, send: Callable[[], T]) -> T:
        try:
            return send()
        except AuthExpired:
            fresh = refresh_tokens(self.connection.pk, if_token_is=self.last_token)
            _copy_tokens(fresh, into=self.connection)
            return send()
