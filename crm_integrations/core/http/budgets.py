"""The rate budgets the shared limiter enforces: each provider's own, then ``settings.CRM_RATE_LIMITS``.

A provider declares its budgets (``CrmProvider.rate_limits``: keys such as ``"<key>"`` and
``"<key>:search"``, each ``[[units, seconds], ...]``), adjustable by its own environment variables
(its SETUP.md lists them). ``CRM_RATE_LIMITS`` is optional: a deployment or a test sets it to
override some budgets; the others keep the providers' values. The bucket names (the budget key and
the account, crm_integrations/core/http/limiter.py) do not depend on where a budget came from.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

Budget = Sequence[Sequence[float]]


def rate_budgets() -> dict[str, Budget]:
    """Every budget by key: the registered providers' defaults with ``settings.CRM_RATE_LIMITS`` over them."""
    from crm_integrations.core import registry  # the registry imports the provider contract, above this layer

    budgets: dict[str, Budget] = {}
    for provider in registry.providers():
        budgets.update(provider.rate_limits())
    budgets.update(getattr(settings, "CRM_RATE_LIMITS", None) or {})
    return budgets
