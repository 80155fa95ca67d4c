"""Selectors: the people behind CRM owner ids, so staff read "Ann Weber", not "70000101".

Reps are known by their ``RepIdentity`` per connection (``routing/reps_sync.py``); queue owners
(placeholders) are not reps, so the sync keeps their names on the routing policy
(``RoutingPolicy.placeholder_owner_names``). Used by the routing policy's form, the lead journey
and the write-back rows of ``routing/admin/``.
"""

from __future__ import annotations

from .models import RepIdentity, RoutingPolicy


def owner_names(organization_id: int) -> dict[str, str]:
    """CRM owner id → name across the organization's connections (queues marked as such)."""
    names = {
        external_id: rep_name or identity_name
        for external_id, rep_name, identity_name in RepIdentity.objects.filter(
            connection__organization_id=organization_id
        ).values_list("external_id", "rep__name", "name")
    }
    policy = RoutingPolicy.objects.filter(organization_id=organization_id).first()
    if policy is not None:
        names.update({key: f"{name} (queue)" for key, name in policy.placeholder_owner_names.items() if name})
    return names


def owner_name(organization_id: int, external_id: str, connection_id: int | None = None) -> str:
    """``Ann Weber (owner 71)``; ``owner 71`` for an id nobody synced; "" for no owner."""
    if not external_id:
        return ""
    identity = RepIdentity.objects.filter(
        external_id=external_id, connection__organization_id=organization_id
    )
    if connection_id is not None:
        identity = identity.filter(connection_id=connection_id)
    found = identity.select_related("rep").first()
    name = (
        (found.rep.name or found.name) if found is not None else owner_names(organization_id).get(external_id)
    )
    return f"{name} (owner {external_id})" if name else f"owner {external_id}"
