"""``MiniCrmProvider``: everything the product learns about Mini CRM, through the registry.

Registered by its dotted path in ``CRM_PROVIDERS`` (config/settings/test.py), nowhere else: the
catalogue row, the selection screen's card and its "Connect with an API key" button, the mapping
wizard's lead object type and default mapping, the rate budget, the staff page and its template,
the webhook check and parsing all come from here.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from crm_integrations.core.provider import CrmProvider, ProviderAction
from crm_integrations.core.webhooks import InboundEvent, SignatureCheck

from . import config, webhooks
from .client import MiniCrmClient
from .mapping import LEADS_DEFAULT
from .store import LEADS


class MiniCrmProvider(CrmProvider):
    key = config.KEY
    name = config.NAME
    client_class = MiniCrmClient
    lead_object_types = (LEADS,)
    default_mappings = (LEADS_DEFAULT,)

    def rate_limits(self) -> dict[str, list[list[int]]]:
        return config.rate_limits()

    def urlpatterns(self) -> list[Any]:
        from .urls import urlpatterns  # its views load only once the URLconf is built

        return urlpatterns

    def connect_actions(self, environment: str) -> list[ProviderAction]:
        url = reverse(f"crm_integrations:{self.key}:connect") + f"?environment={environment}"
        return [ProviderAction("Connect with an API key", url, f"api-key-{self.key}-{environment}")]

    def verify_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        return webhooks.verify(headers, body)

    def parse_webhook_events(self, body: bytes, *, account_id: str = "") -> list[InboundEvent]:
        """The body names its account (``account_id``), so the signature need not."""
        return webhooks.parse(body)
