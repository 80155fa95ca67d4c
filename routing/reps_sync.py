"""Services: reps synced from a CRM's owners/users (created, updated, deactivated — never deleted)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.types import CrmOwner
from crm_integrations.models import OrganizationIntegration

from .models import Rep, RepIdentity, RoutingPolicy, Team

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    left: int

    def __str__(self) -> str:
        return f"{self.created} new, {self.updated} updated, {self.left} left the CRM"


def sync_reps(connection: OrganizationIntegration) -> SyncResult:
    """Read the CRM's owners and bring ``Rep``/``RepIdentity`` in line (one call per page of owners)."""
    owners = registry.get_client(connection).list_owners()
    return apply_owners(connection, owners)


def apply_owners(connection: OrganizationIntegration, owners: list[CrmOwner]) -> SyncResult:
    """People become reps; queue owners become placeholders of the routing policy (count as no owner)."""
    _note_queues(connection.organization_id, {owner.id: owner.name for owner in owners if owner.is_queue})
    owners = [owner for owner in owners if not owner.is_queue]
    now = timezone.now()
    created = updated = left = 0
    seen: set[str] = set()
    with transaction.atomic():
        existing = {
            i.external_id: i for i in RepIdentity.objects.select_for_update().filter(connection=connection)
        }
        for owner in owners:
            seen.add(owner.id)
            identity = existing.get(owner.id)
            if identity is None:
                identity = RepIdentity(
                    connection=connection, external_id=owner.id, rep=_rep_for(connection, owner)
                )
                created += 1
            else:
                updated += 1
                left += int(identity.active_in_crm and not owner.active)
            identity.email = owner.email.lower()
            identity.name = owner.name
            identity.active_in_crm = owner.active
            identity.left_crm_at = None if owner.active else (identity.left_crm_at or now)
            identity.last_synced_at = now
            identity.save()
        gone = [identity for key, identity in existing.items() if key not in seen and identity.active_in_crm]
        for identity in gone:
            identity.active_in_crm = False
            identity.left_crm_at = now
            identity.last_synced_at = now
            identity.save(update_fields=["active_in_crm", "left_crm_at", "last_synced_at"])
        _deactivate_reps_without_crm(connection.organization_id)
    result = SyncResult(created, updated, left + len(gone))
    logger.info("Synced reps of connection %s: %s", connection.pk, result)
    return result


def _note_queues(organization_id: int, queues: dict[str, str]) -> None:
    """Queue owners join the policy's placeholders, their names kept for the admin to read."""
    if not queues:
        return
    policy, _ = RoutingPolicy.objects.get_or_create(organization_id=organization_id)
    listed = [item.strip() for item in policy.placeholder_owner_ids.split(",") if item.strip()]
    missing = [queue for queue in queues if queue not in listed]
    names = {**policy.placeholder_owner_names, **{key: name for key, name in queues.items() if name}}
    if missing or names != policy.placeholder_owner_names:
        policy.placeholder_owner_ids = ", ".join(listed + missing)
        policy.placeholder_owner_names = names
        policy.save(update_fields=["placeholder_owner_ids", "placeholder_owner_names"])


def _rep_for(connection: OrganizationIntegration, owner: CrmOwner) -> Rep:
    """The organization's rep with this email (the same person in another CRM), or a new one."""
    email = owner.email.lower()
    if email:
        rep = Rep.objects.filter(organization_id=connection.organization_id, email=email).first()
        if rep is not None:
            return rep
    rep = Rep.objects.create(organization_id=connection.organization_id, name=owner.name, email=email)
    rep.teams.add(*Team.objects.filter(organization_id=connection.organization_id, auto_join=True))
    return rep


def _deactivate_reps_without_crm(organization_id: int) -> int:
    """Reps none of whose CRM identities is active any more stop receiving leads (kept, not deleted)."""
    return (
        Rep.objects.filter(organization_id=organization_id, active=True)
        .exclude(identities__active_in_crm=True)
        .filter(identities__isnull=False)
        .distinct()
        .update(active=False)
    )
