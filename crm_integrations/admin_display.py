"""Words for staff, not codes: how the admin pages show identifiers, scopes and settings.

Used by crm_integrations/admin.py (the connection page) and crm_integrations/intake/admin.py (the
webhook debugger), so a setting such as ``{"auth": "api_token"}`` reads "Signed in with: API token"
and a scope list reads as words rather than a JSON list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from crm_integrations.core import registry

#: Words written in capitals wherever a code is turned into a label.
ACRONYMS = {
    "api": "API",
    "id": "ID",
    "ids": "IDs",
    "url": "URL",
    "oauth": "OAuth",
    "crm": "CRM",
    "sha256": "",
}
#: Settings whose key says more to a RevOps admin under another name.
SETTING_LABELS = {"auth": "Signed in with", "lead_object_type": "Leads come from"}
#: What became of a failed CRM API call (``ProviderApiCall.error_kind``, written by
#: crm_integrations/core/http/recording.py), as an operator says it; other kinds fall back to words().
ERROR_KIND_LABELS = {
    "rate_limited": "rate limited by the CRM",
    "local_rate_limit": "held by our rate limiter",
    "rate_limiter_unavailable": "rate limiter unavailable",
    "weight_exceeds_budget": "larger than the whole rate budget",
    "circuit_open": "not sent: circuit open",
    "timeout": "timed out",
    "connection_error": "connection failed",
    "auth_expired": "access token expired",
    "auth_revoked": "access revoked",
    "retry_later": "CRM error, retried later",
    "not_found": "not found",
    "invalid_request": "refused as invalid",
    "unsupported": "not supported by the CRM",
}
#: Settings that hold a digest of a secret: shown as set, never as the digest.
SECRET_SUFFIXES = ("_sha256", "_secret", "_token")


def words(code: str) -> str:
    """``api_token`` → "API token", ``board_id`` → "Board ID", ``crm.objects.leads.read`` as it is
    (a value with dots or slashes is an identifier the CRM also shows, so it stays)."""
    if not code or re.search(r"[./:]", code) or not re.fullmatch(r"[A-Za-z0-9_\- ]+", code):
        return code
    parts = [ACRONYMS.get(part.lower(), part.lower()) for part in re.split(r"[_\- ]+", code) if part]
    text = " ".join(part for part in parts if part)
    return text[:1].upper() + text[1:]


def word_list(values: Iterable[Any], *, css_class: str = "word-list") -> SafeString | str:
    """A bulleted list of values (scopes, object types), or "—" for none."""
    items = [(str(value),) for value in values]
    if not items:
        return "—"
    return format_html('<ul class="{}">{}</ul>', css_class, format_html_join("", "<li>{}</li>", items))


def setting_rows(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) per setting, in key order: labels in words, secrets' digests shown as "set"."""
    rows = []
    for key in sorted(settings):
        value = settings[key]
        if key.endswith(SECRET_SUFFIXES):
            label, shown = words(key.rsplit("_", 1)[0] if key.endswith("_sha256") else key), "set"
        else:
            label, shown = SETTING_LABELS.get(key) or words(key), _value(value)
        rows.append((label, shown))
    return rows


def settings_table(settings: Mapping[str, Any] | None) -> SafeString | str:
    rows = setting_rows(settings or {})
    if not rows:
        return "—"
    body = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", rows)
    return format_html('<table class="settings-list">{}</table>', body)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return words(value) if "_" in value else value
    if isinstance(value, Mapping):
        return "; ".join(f"{words(str(key))}: {_value(item)}" for key, item in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value) or "—"
    return "—" if value is None else str(value)


def provider_name(key: str) -> str:
    """The CRM's name for its key (``hubspot`` → "HubSpot"), the key itself for one not registered."""
    try:
        return registry.get_provider(key).name
    except registry.UnknownProvider:
        return key


def error_kind_label(kind: str) -> str:
    """A call's error kind in words ("rate limited by the CRM"), for the API call list and its filter."""
    return ERROR_KIND_LABELS.get(kind) or words(kind).lower()


class ErrorKindFilter(admin.SimpleListFilter):
    """API calls by what went wrong, in words, listing only the kinds present."""

    title = "error"
    parameter_name = "error_kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        kinds = model_admin.get_queryset(request).exclude(error_kind="").order_by()
        keys = kinds.values_list("error_kind", flat=True).distinct()
        labels = ((key, error_kind_label(key)) for key in keys)
        return sorted(((key, label[:1].upper() + label[1:]) for key, label in labels), key=lambda c: c[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(error_kind=self.value()) if self.value() else queryset


class CrmFilter(admin.SimpleListFilter):
    """Rows by CRM (a ``provider`` key column), named as staff know it rather than by its key."""

    title = "CRM"
    parameter_name = "provider"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        keys = model_admin.get_queryset(request).order_by().values_list("provider", flat=True).distinct()
        return sorted(((key, provider_name(key)) for key in keys), key=lambda choice: choice[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(provider=self.value()) if self.value() else queryset
