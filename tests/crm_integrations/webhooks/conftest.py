import pytest

from crm_integrations.signals import records_changed


@pytest.fixture
def without_lead_intake():
    """These tests stand in their own intake for field_mapping's, to test crm_integrations alone."""
    from field_mapping.intake import on_records_changed

    records_changed.disconnect(dispatch_uid="field_mapping.intake")
    yield
    records_changed.connect(on_records_changed, dispatch_uid="field_mapping.intake")
