"""The session's monday sandbox (tests/conftest.py), re-seeded for this folder before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.sandboxes.monday import RunningSandbox

SEED, SEED_ITEMS = 3, 30


@pytest.fixture
def sandbox(monday_sandbox_server: RunningSandbox) -> Iterator[RunningSandbox]:
    """The session's sandbox reset to seed 3 with 30 items (what these tests assert against); its seed
    is given back afterwards, so the session's other tests find the items they expect. A test that needs
    a sandbox started otherwise (a CLI process) starts its own: test_faults_and_oauth.py."""
    config = monday_sandbox_server.state.config
    saved = (config.seed, config.seed_items)
    monday_sandbox_server.control.reset(seed=SEED, seedItems=SEED_ITEMS)
    yield monday_sandbox_server
    config.seed, config.seed_items = saved


def gql(
    sandbox: RunningSandbox, query: str, variables: dict | None = None, *, token: str | None = None
) -> tuple[int, dict]:
    response = sandbox.control.graphql(query, variables, token=token or sandbox.api_token)
    return response.status_code, response.json()
