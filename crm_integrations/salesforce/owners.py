"""Owners: standard users (active and not) and queues, which become placeholder owners.

A lead's ``OwnerId`` is a User or a queue (a ``Group`` of type Queue). Queues are listed with
``is_queue``: routing keeps them as its policy's placeholder owners, so a queue-owned lead counts as
unowned for the route-if filter, as HubSpot's queue owners do (routing/reps_sync.py).
"""

from __future__ import annotations

from crm_integrations.core.types import CrmOwner

from . import normalize
from .api import SalesforceApi

USERS = (
    "SELECT Id, Username, FirstName, LastName, Name, Email, IsActive, UserType "
    "FROM User WHERE UserType = 'Standard' ORDER BY Id"
)
QUEUES = "SELECT Id, Name, DeveloperName, Email FROM Group WHERE Type = 'Queue' ORDER BY Id"


def list_owners(api: SalesforceApi) -> list[CrmOwner]:
    """Active users first, then inactive ones, then queues: two queries."""
    users = [normalize.user(body) for body in api.query(USERS)]
    users.sort(key=lambda owner: not owner.active)
    queues = [normalize.queue(body) for body in api.query(QUEUES)]
    return list({owner.id: owner for owner in [*users, *queues]}.values())
