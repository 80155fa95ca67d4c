"""Salesforce as a provider, before it has a client: only what the catalogue and the rate limiter need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm_integrations.core.client import CrmClient
from crm_integrations.core.env import env
from crm_integrations.core.provider import CrmProvider

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


class SalesforceProvider(CrmProvider):
    key = "salesforce"
    name = "Salesforce"
    available = False

    def get_client(self, connection: OrganizationIntegration) -> CrmClient:
        raise NotImplementedError(f"{self.name} is not available yet: it has no client.")

    def rate_limits(self) -> dict[str, list[list[int]]]:
        """Requests per second per org (``SALESFORCE_RATE_LIMIT``, crm_integrations/salesforce/SETUP.md)."""
        return {self.key: env.json("SALESFORCE_RATE_LIMIT", default=[[25, 1]])}
