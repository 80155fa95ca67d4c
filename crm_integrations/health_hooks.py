"""Hooks for the provider health page, filled by the apps above (as crm_integrations/home.py is).

Write-backs and lead timings belong to routing, which crm_integrations must not import: routing
registers, in its ``AppConfig.ready`` (routing/apps.py), a builder of per-connection lead figures
read from its own rollups and a roll-up the beat runs every minute with ours
(``crm_integrations.tasks.roll_up_recent_health``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

#: (connection ids, since, now) -> {connection id: {figure: value}}: ``owners_written``,
#: ``to_owner_p50_ms``, ``to_owner_p95_ms``, ``writes_pending``, ``writes_failed``,
#: ``writes_failed_recent`` (the last hour).
LeadFigures = Callable[[Collection[Any], datetime, datetime], Mapping[Any, Mapping[str, Any]]]
#: (now) -> rows written: recompute the app's recent health rollups (idempotent).
RollUp = Callable[[datetime], int]

_lead_figures: dict[str, LeadFigures] = {}
_roll_ups: dict[str, RollUp] = {}


def register(key: str, *, lead_figures: LeadFigures | None = None, roll_up: RollUp | None = None) -> None:
    """Register (or replace, under the same ``key``) an app's hooks."""
    if lead_figures is not None:
        _lead_figures[key] = lead_figures
    if roll_up is not None:
        _roll_ups[key] = roll_up


def lead_figures(
    connection_ids: Collection[Any], since: datetime, now: datetime
) -> dict[Any, dict[str, Any]]:
    figures: dict[Any, dict[str, Any]] = {}
    for build in _lead_figures.values():
        for connection_id, values in build(connection_ids, since, now).items():
            figures.setdefault(connection_id, {}).update(values)
    return figures


def roll_up(now: datetime) -> int:
    return sum(run(now) for run in _roll_ups.values())
