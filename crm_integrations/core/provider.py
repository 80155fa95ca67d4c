"""A provider descriptor: what the registry knows about one CRM (the Sentry provider/installation split)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .client import CrmClient

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

    from .oauth import OAuthApp, TokenSet
    from .webhooks import InboundEvent, SignatureCheck, WorkflowRequest


@dataclass(frozen=True)
class ProviderAction:
    """A link a provider adds to the staff pages (another way to connect, a setup step still to do)."""

    label: str
    url: str
    element_id: str = ""


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
    #: Whether the CRM's workflows can call ``.../webhook`` (the two ``*_workflow_webhook`` hooks).
    workflow_webhooks: ClassVar[bool] = False

    def get_client(self, connection: OrganizationIntegration) -> CrmClient:
        return self.client_class(connection)

    def urlpatterns(self) -> list[Any]:
        """The provider's own staff pages, mounted under ``/integrations/<key>/`` (namespace ``key``)."""
        return []

    def connect_actions(self, environment: str) -> list[ProviderAction]:
        """Ways to connect besides OAuth, shown on the CRM selection screen (an API token form...)."""
        return []

    def setup_actions(self, connection: OrganizationIntegration) -> list[ProviderAction]:
        """Steps a connection still needs (choosing a board...), shown on the integrations page."""
        return []

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

    def parse_webhook_events(self, body: bytes, *, account_id: str = "") -> list[InboundEvent]:
        """The events in a verified body; ``MalformedWebhook`` when it is not the provider's format.

        ``account_id`` is what the signature check vouched for (``SignatureCheck.account_id``), for
        providers whose bodies do not name the account.
        """
        raise NotImplementedError(f"{self.name} sends no webhooks here.")

    def webhook_handshake(self, body: bytes) -> dict[str, str] | None:
        """The JSON to answer when ``body`` is a URL-verification request (monday's challenge), else None."""
        return None

    def verify_workflow_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        """Check the signature of a workflow action's request (HubSpot: v2 over method, URL and body).

        Requests carrying our own per-connection secret header instead are checked before this,
        by ``crm_integrations.workflow_secrets``, whatever the provider.
        """
        raise NotImplementedError(f"{self.name} sends no workflow webhooks here.")

    def parse_workflow_webhook(self, *, url: str, body: bytes) -> WorkflowRequest:
        """The record a workflow action's request names; ``MalformedWebhook`` when it names none."""
        raise NotImplementedError(f"{self.name} sends no workflow webhooks here.")
