"""A provider descriptor: what the registry knows about one CRM (the Sentry provider/installation split)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .client import CrmClient

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


class CrmProvider:
    """Subclass once per CRM and list its dotted path in ``settings.CRM_PROVIDERS``."""

    key: ClassVar[str]
    name: ClassVar[str]
    client_class: ClassVar[type[CrmClient]]
    #: Object types this provider takes leads from, in order of preference.
    lead_object_types: ClassVar[tuple[str, ...]] = ()

    def get_client(self, connection: OrganizationIntegration) -> CrmClient:
        return self.client_class(connection)
