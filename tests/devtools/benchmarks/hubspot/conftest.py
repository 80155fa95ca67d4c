"""The HubSpot client fixtures (a sandbox per module, a connection to it) of
tests/crm_integrations/hubspot/conftest.py, which the read benchmark runs against."""

from tests.crm_integrations.hubspot.conftest import (  # noqa: F401 - fixtures, found by name
    connection,
    hubspot,
    running_sandbox,
    sandbox,
    sandbox_settings,
)
