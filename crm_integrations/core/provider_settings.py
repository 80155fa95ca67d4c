"""Where a provider's settings come from, allauth's ``SOCIALACCOUNT_PROVIDERS`` style.

A provider reads its own settings: ``settings.<NAME>`` (e.g. the provider's apps per environment)
when a deployment's settings module or a test sets it, else the defaults its ``config`` module
builds from its own environment variables (crm_integrations/hubspot/config.py reads ``HUBSPOT_*``,
documented in crm_integrations/hubspot/SETUP.md). config/settings/ names no provider beyond the
``CRM_PROVIDERS`` list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings

T = TypeVar("T")
_UNSET: Any = object()


def provider_setting(name: str, from_environment: Callable[[], T]) -> T:
    """``settings.<name>`` when set, else ``from_environment()`` (read on each call, never cached, so a
    test's ``settings`` fixture or an ``override_settings`` takes effect at once)."""
    value = getattr(settings, name, _UNSET)
    return from_environment() if value is _UNSET else value


def public_base_url() -> str:
    """Where users and CRMs reach us (redirect URIs are built from it)."""
    return str(getattr(settings, "PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
