"""A provider descriptor: what the registry knows about one CRM (the Sentry provider/installation split)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from .client import CrmClient

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

    from .oauth import OAuthApp, TokenSet
    from .webhooks import InboundEvent, SignatureCheck


@dataclass(frozen=True)
class ConnectedAccount:
    """Who a fresh grant belongs to: the CRM account id and the scopes actually granted."""

    account_id: str
    scopes: tuple[str, ...]


class CrmProvider:
    """Subclass once per CRM and list its dotted path in ``settings.CRM_PROVIDERS``."""

    key: ClassVar[str]
    name: ClassVar[str]
    client_class: ClassVar[type[CrmClient]]
    #: Object types this provider takes leads from, in order of preference.
    lead_object_types: ClassVar[tuple[str, ...]] = ()

    def get_client(self, connection: OrganizationIntegration) -> CrmClient:
        return self.client_class(connection)

    def oauth_app(self, environment: str) -> OAuthApp:
        """The OAuth app registration for ``environment``; providers that connect by OAuth override."""
        raise NotImplementedError(f"{self.name} does not connect with OAuth.")

    def identify_account(self, environment: str, tokens: TokenSet) -> ConnectedAccount:
        """The CRM account (HubSpot portal, monday account) a fresh grant belongs to."""
        raise NotImplementedError(f"{self.name} does not connect with OAuth.")

    def verify_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        """Check a webhook request's signature over the raw body (constant-time comparison)."""
        raise NotImplementedError(f"{self.name} sends no webhooks here.")

    def parse_webhook_events(self, body: bytes) -> list[InboundEvent]:
        """The events in a verified body; ``MalformedWebhook`` when it is not the provider's format."""
        raise NotImplementedError(f"{self.name} sends no webhooks here.")
