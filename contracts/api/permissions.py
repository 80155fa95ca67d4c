"""Who may use the contracts API."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsOrganizationMember(BasePermission):
    """An authenticated, active user who is a superuser or a member of at least one organization.

    Members of any role (administrator or member) read their organizations' contracts and set
    their negotiation status: the status is the contract workflow's everyday field, the one staff
    change on the admin contract page too. Which contracts is settled by the view's queryset
    (``contracts_for_user``): another organization's contract is not found (404), so its existence
    is not revealed by a 403.
    """

    message = "Only members of an organization can use the contracts API."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or user.memberships.exists()
