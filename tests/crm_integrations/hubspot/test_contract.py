"""HubSpotClient against the HubSpot sandbox, held to the provider contract (leads and contacts)."""

from __future__ import annotations

import pytest

from crm_integrations.core.types import FieldType
from devtools.sandboxes.hubspot import RunningSandbox

from ..provider_contract import ContractEnvironment, ProviderContract


def sandbox_environment(
    sandbox: RunningSandbox, object_type: str, **overrides: object
) -> ContractEnvironment:
    portal = sandbox.state.portal()
    owners = [owner for owner in portal.owners.values() if owner.type == "PERSON"]
    defaults: dict = {
        "object_type": object_type,
        "all_ids": lambda: {
            str(i) for i, record in portal.records[object_type].items() if not record.archived
        },
        "missing_id": "999999999",
        "active_owner_emails": {owner.email for owner in owners if not owner.archived},
        "inactive_owner_emails": {owner.email for owner in owners if owner.archived},
    }
    return ContractEnvironment(**{**defaults, **overrides})


class TestLeadsContract(ProviderContract):
    @pytest.fixture
    def contract_client(self, hubspot):
        return hubspot

    @pytest.fixture
    def contract_env(self, sandbox):
        return sandbox_environment(
            sandbox,
            "leads",
            touch=lambda record_id: sandbox.control.update_record(
                "leads", record_id, {"hs_lead_label": "COLD"}
            ),
            writable_property=("hs_lead_name", "Renamed through the contract"),
            field_types={
                "hs_lead_name": FieldType.STRING,
                "hubspot_owner_id": FieldType.OWNER,
                "hs_lead_label": FieldType.ENUMERATION,
                "lead_amount": FieldType.NUMBER,
                "createdate": FieldType.DATETIME,
            },
            properties=("hs_lead_name",),
        )


class TestContactsContract(ProviderContract):
    """Contacts keep their last-modified time in ``lastmodifieddate``, not ``hs_lastmodifieddate``."""

    @pytest.fixture
    def contract_client(self, hubspot):
        return hubspot

    @pytest.fixture
    def contract_env(self, sandbox):
        return sandbox_environment(
            sandbox,
            "contacts",
            touch=lambda record_id: sandbox.control.update_record("contacts", record_id, {"jobtitle": "CTO"}),
            writable_property=("jobtitle", "Head of Routing"),
            field_types={
                "email": FieldType.STRING,
                "lifecyclestage": FieldType.ENUMERATION,
                "hubspot_owner_id": FieldType.OWNER,
                "lastmodifieddate": FieldType.DATETIME,
            },
            page_limit=30,
            properties=("email",),
        )
