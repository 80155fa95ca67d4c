"""Providers that live only in tests/: tests/providers/minicrm/ is the proof that a CRM provider is its
folder plus one ``CRM_PROVIDERS`` line (config/settings/test.py), walked end to end by
tests/crm_integrations/test_minimal_provider.py."""
