"""The admin's navigation grouped by the staff's tasks (used by ``crm_integrations/admin_site.py``).

Django lists models by app ("CRM integrations", "Lead routing", ...), which puts internal tables
beside the business screens. The groups below follow what a RevOps admin does: set up, route,
follow leads, contracts, monitor. Tables only a developer or operator needs (tokens, beat
schedules, circuit breakers, sync cursors, raw API calls, login attempts, the provider catalogue)
go to one "System" group that superusers alone see; any model not named here lands there too, so a
new registration never shows up unsorted. Pages that are not model lists (the integrations page,
the mapping wizard) are entries of their group like the models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Page:
    """A page that is not a model list, shown as an entry of a group."""

    name: str
    url_name: str
    key: str  # for the row's CSS class and element id (templates/admin/app_list.html)


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    entries: tuple[str | Page, ...]  # "app_label.ModelName" or a Page, in display order


SYSTEM = "system"

#: Names that would read as another screen's in the grouped list ("Integrations" is the page).
RENAMED = {"crm_integrations.Integration": "CRM catalogue"}

GROUPS: tuple[Group, ...] = (
    Group(
        "setup",
        "Setup",
        (
            Page("Integrations", "crm_integrations:integrations", "integrations_page"),
            "crm_integrations.OrganizationIntegration",
            "field_mapping.FieldMapping",
            Page("Field mapping wizard", "admin:field_mapping_fieldmapping_wizard", "mapping_wizard"),
            "routing.Rep",
            "routing.Team",
            "crm_integrations.Organization",
            "crm_integrations.AlertSettings",
        ),
    ),
    Group(
        "routing",
        "Routing",
        (
            "routing.RuleSet",
            "routing.Rule",
            "routing.RoutingPolicy",
            Page("Existing leads", "existing_leads", "existing_leads"),
        ),
    ),
    Group("leads", "Leads", ("field_mapping.Lead", "routing.LeadJourney")),
    Group("contracts", "Contracts", ("contracts.Contract", "contracts.StageStatus")),
    Group(
        "monitoring",
        "Monitoring",
        (
            Page("Provider health", "crm_integrations:provider_health", "provider_health"),
            "crm_integrations.Incident",
            "crm_integrations.WebhookDelivery",
            "routing.OwnerWrite",
        ),
    ),
)


def grouped(app_list: Iterable[dict[str, Any]], *, superuser: bool) -> list[dict[str, Any]]:
    """Django's ``app_list`` (apps with their models) regrouped into ``GROUPS``, then "System"."""
    models = {
        label: {**m, "name": RENAMED.get(label, m["name"])}
        for app in app_list
        for m in app["models"]
        for label in [f"{app['app_label']}.{m['object_name']}"]
    }
    placed: set[str] = set()
    groups = []
    for group in GROUPS:
        rows = []
        for entry in group.entries:
            if isinstance(entry, Page):
                row = _page_row(entry)
            else:
                row = models.get(entry)
                placed.add(entry)
            if row is not None:
                rows.append(row)
        if any("model" in row for row in rows):  # a group of links only means nothing is visible
            groups.append(_group(group.key, group.title, rows))
    rest = [model for label, model in models.items() if label not in placed]
    if superuser and rest:
        groups.append(_group(SYSTEM, "System", sorted(rest, key=lambda m: str(m["name"]))))
    return groups


def _group(key: str, title: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    # app_url: an anchor of the home, so the sidebar never marks every group as the current one.
    return {
        "name": title,
        "app_label": f"group-{key}",
        "app_url": f"{reverse('admin:index')}#group-{key}",
        "has_module_perms": True,
        "models": rows,
    }


def _page_row(page: Page) -> dict[str, Any] | None:
    try:
        url = reverse(page.url_name)
    except NoReverseMatch:  # the page's app is not installed (an optional page)
        return None
    return {"name": page.name, "object_name": page.key, "admin_url": url, "perms": {}, "view_only": True}
