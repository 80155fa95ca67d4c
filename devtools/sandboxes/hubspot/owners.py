"""Owners v3: list with paging and email filter, get by id or userId."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .errors import not_found
from .guard import guard, sandbox
from .http import bool_param, int_param, paging, reply

OWNER_SCOPES = frozenset({"crm.objects.owners.read", "automation"})

blueprint = Blueprint("owners", __name__)


@blueprint.get("/")
@blueprint.get("")
def list_owners() -> Response:
    portal = guard(OWNER_SCOPES).portal
    limit = int_param("limit", 100, 500)
    after = int(request.args["after"]) if request.args.get("after", "").isdigit() else 0
    email = (request.args.get("email") or "").lower()
    archived = bool_param("archived")
    with sandbox().lock:
        owners = [
            owner
            for owner in sorted(portal.owners.values(), key=lambda o: o.id)
            if owner.archived == archived
            and owner.id >= after
            and (not email or owner.email.lower() == email)
        ]
    next_after = str(owners[limit].id) if len(owners) > limit else None
    return reply({"results": [owner.to_api() for owner in owners[:limit]], **paging(next_after)})


@blueprint.get("/<owner_id>")
def get_owner(owner_id: str) -> Response:
    portal = guard(OWNER_SCOPES).portal
    by_user = request.args.get("idProperty") == "userId"
    archived = bool_param("archived")
    with sandbox().lock:
        found = next(
            (
                owner
                for owner in portal.owners.values()
                if str(owner.user_id if by_user else owner.id) == owner_id and owner.archived == archived
            ),
            None,
        )
    if found is None:
        raise not_found()
    return reply(found.to_api())
