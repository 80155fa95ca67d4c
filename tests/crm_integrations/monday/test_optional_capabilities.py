"""monday has neither tasks nor companies: the contract's defaults, without a single API call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_integrations.core.errors import CrmError, Unsupported
from crm_integrations.core.types import FollowUpTask

from .conftest import api_calls


def test_follow_up_tasks_are_unsupported(monday, sandbox):
    item_id = str(next(iter(sandbox.state.board.items)))
    task = FollowUpTask(item_id, "1", "Call back", datetime.now(UTC) + timedelta(days=1))

    assert monday.supports_tasks is False
    with pytest.raises(Unsupported) as raised:
        monday.create_follow_up_tasks("items", [task])

    assert isinstance(raised.value, CrmError) and not raised.value.retryable
    assert raised.value.code == "unsupported" and "monday" in str(raised.value)
    assert api_calls(sandbox) == []


def test_accounts_are_empty(monday, sandbox):
    assert monday.supports_accounts is False
    assert monday.accounts_by_domain(["acme.com", "www.globex.example"]) == {}
    assert monday.accounts_by_id(["1", "2"]) == []
    assert api_calls(sandbox) == []
