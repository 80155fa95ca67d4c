"""Fixtures shared by the routing tests."""

import pytest

from . import factories as make


@pytest.fixture
def duo(crm, organization):
    """Ann and Bob, the organization's one published rule's team (``crm``: the test module's own)."""
    reps = [make.rep(crm, "Ann", owner_id="71"), make.rep(crm, "Bob", owner_id="72")]
    make.rule(organization, "Everyone", teams=[make.team(organization, "Sales", reps)])
    make.publish(organization)
    return reps
