"""SalesforceClient against the Salesforce sandbox, held to the provider contract (Leads)."""

from __future__ import annotations

import pytest

from crm_integrations.core.types import FieldType

from ..provider_contract import ContractEnvironment, ProviderContract


def sandbox_environment(sandbox) -> ContractEnvironment:
    records = sandbox.state.records

    def users(active: bool) -> set[str]:
        return {
            user["Email"]
            for user in records["User"].values()
            if user.get("UserType") == "Standard" and bool(user.get("IsActive")) is active
        }

    return ContractEnvironment(
        object_type="leads",
        all_ids=lambda: {
            lead_id
            for lead_id, lead in records["Lead"].items()
            if not lead.get("IsConverted") and not lead.get("IsDeleted")
        },
        touch=lambda lead_id: sandbox.control.update_record(
            "Lead", lead_id, {"Title": "Touched"}, autoAssign=False
        ),
        missing_id="00QSB0000009999ZZZ",
        writable_property=("Company", "Renamed through the contract"),
        field_types={
            "LeadSource": FieldType.ENUMERATION,
            "Status": FieldType.ENUMERATION,
            "Industry": FieldType.ENUMERATION,
            "OwnerId": FieldType.OWNER,
            "AnnualRevenue": FieldType.NUMBER,
            "Email": FieldType.STRING,
            "IsConverted": FieldType.BOOLEAN,
            "SystemModstamp": FieldType.DATETIME,
        },
        active_owner_emails=users(True),
        inactive_owner_emails=users(False),
        properties=("Company", "Email"),
    )


class TestLeadsContract(ProviderContract):
    @pytest.fixture
    def contract_client(self, salesforce):
        return salesforce

    @pytest.fixture
    def contract_env(self, sandbox):
        return sandbox_environment(sandbox)
