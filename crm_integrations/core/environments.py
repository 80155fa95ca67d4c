"""Which CRM app environments this deployment accepts, and which of their secrets count.

Every provider has a "production" app and a "sandbox" app (by default our local fake CRM). The
sandbox app ships with public default secrets (they are in this repository), so a request signed
with one proves nothing: outside ``DEBUG`` such a secret is never accepted, and the sandbox
environment as a whole is off unless ``CRM_SANDBOXES_ENABLED`` says otherwise (``make run``'s
``.env`` turns it on with generated secrets, see scripts/bootstrap_env.py). Used by the webhook
signature checks (crm_integrations/hubspot/webhooks.py, crm_integrations/monday/config.py), the
selection screen and the OAuth start (crm_integrations/selectors.py, crm_integrations/views/oauth.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.conf import settings

PRODUCTION = "production"
SANDBOX = "sandbox"


def environment_enabled(environment: str) -> bool:
    """Production always; the sandbox only where ``CRM_SANDBOXES_ENABLED`` (default: ``DEBUG``)."""
    if environment == SANDBOX:
        return bool(getattr(settings, "CRM_SANDBOXES_ENABLED", settings.DEBUG))
    return True


def enabled_environment_choices() -> list[tuple[str, str]]:
    """``(value, label)`` of the environments staff may connect: the selection screen, the OAuth
    start and the API-token form offer only these."""
    from crm_integrations.models import Environment

    return [(value, label) for value, label in Environment.choices if environment_enabled(value)]


def accepted_secrets(
    secrets: Iterable[tuple[str, str]], *, public: Collection[str] = ()
) -> list[tuple[str, str]]:
    """The ``(environment, secret)`` pairs a request may be verified with: set, of an enabled
    environment, and not a public default unless ``DEBUG`` is on. Order kept, duplicates dropped."""
    seen: set[str] = set()
    kept = []
    for environment, secret in secrets:
        if not secret or secret in seen or not environment_enabled(environment):
            continue
        if secret in public and not settings.DEBUG:
            continue
        seen.add(secret)
        kept.append((environment, secret))
    return kept
