"""A Salesforce sandbox for this folder's tests (over real HTTP), reset before every test, and a token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devtools.sandboxes.salesforce import RunningSandbox, start_sandbox

SEED, SEED_LEADS = 1, 30


@pytest.fixture(scope="session")
def salesforce_sandbox_server() -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(port=0, seed_leads=SEED_LEADS)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(salesforce_sandbox_server: RunningSandbox) -> RunningSandbox:
    """The sandbox re-seeded (seed 1, 30 leads), runtime settings, clock, usage and faults as started."""
    salesforce_sandbox_server.control.reset(seed=SEED, seedLeads=SEED_LEADS)
    return salesforce_sandbox_server


@pytest.fixture
def token(sandbox: RunningSandbox) -> str:
    return sandbox.control.access_token()


def api(sandbox: RunningSandbox, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    return sandbox.control.rest(method, path, token=token, **kwargs)


def soql(sandbox: RunningSandbox, token: str, query: str, **kwargs: Any) -> requests.Response:
    return api(sandbox, "GET", "query", token, params={"q": query}, **kwargs)
