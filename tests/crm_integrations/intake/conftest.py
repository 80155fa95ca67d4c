import pytest

from crm_integrations.services import upsert_organization_integration
from crm_integrations.signals import Outcome, records_changed

PORTAL = 24000001


@pytest.fixture
def without_lead_intake():
    """These tests stand in their own intake for field_mapping's, to test crm_integrations alone."""
    from field_mapping.receivers import on_records_changed

    records_changed.disconnect(dispatch_uid="field_mapping.receivers")
    yield
    records_changed.connect(on_records_changed, dispatch_uid="field_mapping.receivers")


@pytest.fixture
def connection(organization):
    return upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id=str(PORTAL),
        access_token="t",
    )


@pytest.fixture
def intake(without_lead_intake):
    """Stands in for the lead intake above crm_integrations: records what it is handed."""
    calls = []
    failing = {"error": None}

    def receiver(sender, connection, object_type, external_ids, source, **kwargs):
        if failing["error"]:
            raise failing["error"]
        calls.append((connection.pk, object_type, list(external_ids), source))
        return {
            external_id: Outcome("ingested", result_ref=f"lead:{external_id}") for external_id in external_ids
        }

    records_changed.connect(receiver, dispatch_uid="test-intake")
    yield calls, failing
    records_changed.disconnect(dispatch_uid="test-intake")
