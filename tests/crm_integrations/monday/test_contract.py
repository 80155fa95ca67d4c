"""MondayClient against the monday sandbox, held to the provider contract (board items)."""

from __future__ import annotations

import pytest

from crm_integrations.core.types import FieldType
from devtools.sandboxes.monday import RunningSandbox

from ..provider_contract import ContractEnvironment, ProviderContract


def sandbox_environment(sandbox: RunningSandbox) -> ContractEnvironment:
    state = sandbox.state
    return ContractEnvironment(
        object_type="items",
        all_ids=lambda: {str(i) for i, item in state.board.items.items() if item.state == "active"},
        touch=lambda item_id: sandbox.control.update_item(item_id, {"status": {"label": "Working"}}),
        missing_id="999999999",
        writable_property=("text_company", "Renamed through the contract"),
        field_types={
            "name": FieldType.STRING,
            "email": FieldType.STRING,
            "status": FieldType.ENUMERATION,
            "status_source": FieldType.ENUMERATION,
            "dropdown_industry": FieldType.ENUMERATION,
            "people_owner": FieldType.OWNER,
            "numbers_amount": FieldType.NUMBER,
            "date_received": FieldType.DATE,
            "last_updated": FieldType.DATETIME,
        },
        active_owner_emails={u.email for u in state.users.values() if u.status == "ACTIVE"},
        inactive_owner_emails={u.email for u in state.users.values() if u.status != "ACTIVE"},
        properties=("name", "status"),
    )


class TestItemsContract(ProviderContract):
    @pytest.fixture
    def contract_client(self, monday):
        return monday

    @pytest.fixture
    def contract_env(self, sandbox):
        return sandbox_environment(sandbox)
