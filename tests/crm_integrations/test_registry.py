from collections.abc import Sequence

import pytest
from django.core.exceptions import ImproperlyConfigured

from crm_integrations.core import registry
from crm_integrations.core.client import CrmClient
from crm_integrations.core.provider import CrmProvider
from crm_integrations.core.types import BatchUpdateResult, ChangedRecords, CrmField, CrmOwner, CrmRecord
from crm_integrations.services import upsert_organization_integration


class EchoClient(CrmClient):
    """A provider whose records echo what it is asked, to see the registry hand over the connection."""

    provider = "hubspot"

    def changed_since(self, object_type: str, cursor: str | None, **kwargs: object) -> ChangedRecords:
        return ChangedRecords(records=(), next_cursor=cursor, has_more=False)

    def batch_read(self, object_type: str, ids: Sequence[str], **kwargs: object) -> list[CrmRecord]:
        account = self.connection.external_account_id
        return [CrmRecord(object_type, record_id, {"account": account}) for record_id in ids]

    def batch_update(self, object_type: str, updates: Sequence) -> BatchUpdateResult:
        return BatchUpdateResult(updated=())

    def list_owners(self) -> list[CrmOwner]:
        return []

    def list_fields(self, object_type: str) -> list[CrmField]:
        return []

    def get_record(self, object_type: str, record_id: str, **kwargs: object) -> CrmRecord:
        return self.batch_read(object_type, [record_id])[0]


class EchoProvider(CrmProvider):
    key = "hubspot"
    name = "HubSpot (echo)"
    client_class = EchoClient


class ClashingProvider(EchoProvider):
    name = "Another one claiming hubspot"


@pytest.fixture
def echo_registry():
    registry.load_from_settings([f"{__name__}.EchoProvider"])
    yield
    registry.load_from_settings()


def test_the_registry_returns_the_providers_client_bound_to_the_connection(organization, echo_registry):
    connection = upsert_organization_integration(
        organization, "hubspot", "production", external_account_id="4242"
    )
    client = registry.get_client(connection)
    assert isinstance(client, EchoClient)
    assert client.batch_read("leads", ["1", "2"]) == [
        CrmRecord("leads", "1", {"account": "4242"}),
        CrmRecord("leads", "2", {"account": "4242"}),
    ]


def test_an_unregistered_provider_is_a_clear_error(organization, echo_registry):
    connection = upsert_organization_integration(organization, "monday", "production")
    with pytest.raises(registry.UnknownProvider, match="monday"):
        registry.get_client(connection)


def test_the_registry_refuses_non_providers_and_key_clashes(echo_registry):
    with pytest.raises(ImproperlyConfigured, match="not a CrmProvider"):
        registry.register(EchoClient)  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match="hubspot"):
        registry.register(ClashingProvider)


def test_the_contract_cannot_be_half_implemented():
    class HalfClient(CrmClient):
        provider = "half"

        def list_owners(self) -> list[CrmOwner]:
            return []

    with pytest.raises(TypeError, match="abstract"):
        HalfClient(connection=None)  # type: ignore[abstract]
