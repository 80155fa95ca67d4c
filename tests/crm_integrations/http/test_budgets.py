"""Rate budgets come from the providers; ``settings.CRM_RATE_LIMITS`` only overrides
(crm_integrations/core/http/budgets.py). The keys, and so the limiter's buckets, stay as they were."""

from __future__ import annotations

from crm_integrations.core.http.budgets import rate_budgets

REAL_PROVIDERS = ("hubspot", "monday", "salesforce")


def test_the_providers_budgets_are_the_defaults(settings, monkeypatch):
    del settings.CRM_RATE_LIMITS  # optional
    for name in (
        "HUBSPOT_RATE_LIMIT",
        "HUBSPOT_SEARCH_RATE_LIMIT",
        "MONDAY_RATE_LIMIT",
        "SALESFORCE_RATE_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)
    # The real providers' budgets (the test settings also register a provider of tests/providers/).
    budgets = {key: value for key, value in rate_budgets().items() if key.split(":")[0] in REAL_PROVIDERS}
    assert budgets == {
        "hubspot": [[100, 10]],
        "hubspot:search": [[4, 1]],
        "monday": [[5_000_000, 60]],
        "salesforce": [[25, 1]],
    }


def test_a_providers_variable_changes_its_budget_and_the_setting_overrides_any(settings, monkeypatch):
    monkeypatch.setenv("MONDAY_RATE_LIMIT", "[[1000, 60]]")
    settings.CRM_RATE_LIMITS = {"hubspot:search": [[1, 60]]}
    budgets = rate_budgets()
    assert budgets["monday"] == [[1000, 60]]
    assert budgets["hubspot:search"] == [[1, 60]]
    assert budgets["hubspot"] == [[100, 10]]  # the others keep the providers' values
