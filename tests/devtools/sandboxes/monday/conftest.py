"""One monday sandbox per test module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.sandboxes.monday import RunningSandbox, start_sandbox


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(seed=3, seed_items=30)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox: RunningSandbox) -> RunningSandbox:
    running_sandbox.control.reset()
    return running_sandbox


def gql(
    sandbox: RunningSandbox, query: str, variables: dict | None = None, *, token: str | None = None
) -> tuple[int, dict]:
    response = sandbox.control.graphql(query, variables, token=token or sandbox.api_token)
    return response.status_code, response.json()
