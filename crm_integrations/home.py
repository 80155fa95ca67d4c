"""Hooks for the admin home and the integrations page, filled by the apps above.

The admin site and the integrations page live in crm_integrations, but their figures (leads taken
in, routed, held, write-backs) belong to field_mapping and routing, which crm_integrations must
not import (the layers in pyproject.toml). The apps above register their builders here in their
``AppConfig.ready`` (routing/apps.py registers ``routing.dashboard``); the pages call them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest

from crm_integrations.models import Organization

#: (request, organization) -> extra context of the admin home (templates/admin/index.html).
HomeBuilder = Callable[[HttpRequest, Organization], Mapping[str, Any]]
#: organization -> {connection id: {figure name: value}} for the integrations page.
ConnectionFigures = Callable[[Organization], Mapping[Any, Mapping[str, Any]]]

_home_builders: dict[str, HomeBuilder] = {}
_connection_figures: dict[str, ConnectionFigures] = {}


def register(
    key: str, *, home: HomeBuilder | None = None, connections: ConnectionFigures | None = None
) -> None:
    """Register (or replace, under the same ``key``) an app's builders."""
    if home is not None:
        _home_builders[key] = home
    if connections is not None:
        _connection_figures[key] = connections


def home_context(request: HttpRequest, organization: Organization) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for build in _home_builders.values():
        context.update(build(request, organization))
    return context


def connection_figures(organization: Organization) -> dict[Any, dict[str, Any]]:
    """Every registered figure per connection id, merged."""
    figures: dict[Any, dict[str, Any]] = {}
    for build in _connection_figures.values():
        for connection_id, values in build(organization).items():
            figures.setdefault(connection_id, {}).update(values)
    return figures
