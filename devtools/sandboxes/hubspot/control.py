"""The control API under ``/_sandbox``: seed, reset, clock, request log, faults, webhooks, user edits, tokens.

No authentication: the server binds to loopback, and these routes refuse any non-loopback client.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from ..clock import add_clock_routes
from . import records, seed
from .errors import api_error, validation_error
from .guard import sandbox
from .http import json_body, no_content, reply
from .object_types import all_scopes, object_type
from .services import Services
from .state import ChangeSource, Portal
from .tokens import Grant

SERVICES_KEY = "hubspot_sandbox_services"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

blueprint = Blueprint("sandbox_control", __name__)
add_clock_routes(blueprint, lambda: sandbox().clock)


def services() -> Services:
    return current_app.extensions[SERVICES_KEY]


def _body() -> dict[str, Any]:
    """The JSON object sent (``{}`` for none); anything else is the caller's mistake, a 400."""
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise validation_error("the request body must be a JSON object")
    return body


def _bad_input(exc: Exception) -> Exception:
    return validation_error(str(exc))


@blueprint.before_request
def _loopback_only() -> Response | None:
    if request.remote_addr not in LOOPBACK:
        return reply({"status": "error", "message": "the control API answers loopback clients only"}, 403)
    return None


@blueprint.get("/health")
def health() -> Response:
    return reply({"status": "ok", "portals": list(sandbox().portals), "appId": sandbox().config.app_id})


@blueprint.get("/portals")
def portals() -> Response:
    state = sandbox()
    with state.lock:
        body = [
            {
                "portalId": p.portal_id,
                "hubDomain": p.hub_domain,
                "counts": {
                    name: sum(not r.archived for r in items.values()) for name, items in p.records.items()
                },
            }
            for p in state.portals.values()
        ]
    return reply({"results": body})


@blueprint.get("/config")
def get_config() -> Response:
    config = sandbox().config
    return reply(
        {
            **config.runtime_view(),
            "portalIds": list(config.portal_ids),
            "clientId": config.client_id,
            "appId": config.app_id,
            "redirectUris": list(config.redirect_uris),
            "seed": config.seed,
        }
    )


@blueprint.patch("/config")
def patch_config() -> Response:
    try:
        return reply(sandbox().config.update_runtime(json_body()))
    except (ValueError, TypeError) as exc:
        raise _bad_input(exc) from exc


@blueprint.post("/reset")
def reset() -> Response:
    """Back to real time, re-seed every portal (optionally with a new ``seed``) and clear tokens, limits,
    faults and logs."""
    body = _body()
    state = sandbox()
    with state.lock:
        if "seed" in body:
            state.config.seed = int(body["seed"])
        if "seedLeads" in body:
            state.config.seed_leads = int(body["seedLeads"])
        state.clock.reset()
        seed.populate(state)
        if not body.get("keepTokens"):
            state.tokens.clear()
        state.limiter.clear()
        state.faults.clear()
        state.requests.clear()
        services().deliverer.clear_log()
    return reply({"status": "reset", "seed": state.config.seed})


@blueprint.post("/seed/leads")
def seed_leads() -> Response:
    """Seeded leads with contacts and companies; ``fresh``: created now by a user (creation webhooks),
    ``unowned``: leads and their contacts without an owner."""
    body = _body()
    count = _seed_count(body.get("count", 100))
    state = sandbox()
    with state.lock:
        portal = state.portal(body.get("portalId"))
        fresh = seed.Fresh(state.emit, _user_source(portal, body)) if body.get("fresh") else None
        unowned = bool(body.get("unowned"))
        ids = seed.seed_leads(
            portal, state.config.seed, count, fresh=fresh, unowned=unowned, clock=state.clock
        )
        total = sum(not r.archived for r in portal.records["leads"].values())
    return reply(
        {"created": len(ids), "firstId": str(ids[0]), "lastId": str(ids[-1]), "totalLeads": total}, 201
    )


def _seed_count(raw: Any) -> int:
    """A whole number of leads (or its digits as a string) within 1..50000, else a 400 naming ``count``."""
    text = "" if isinstance(raw, bool) else str(raw).strip()
    if not text.isdigit() or not 0 < int(text) <= 50_000:
        raise validation_error(f"count must be a whole number between 1 and 50000, not {raw!r}")
    return int(text)


@blueprint.get("/requests")
def request_log() -> Response:
    state = sandbox()
    since = int(request.args.get("since", "0") or 0)
    entries = state.requests.entries(since, request.args.get("pathPrefix"), request.args.get("method"))
    return reply({"count": len(entries), "lastSeq": state.requests.last_seq, "results": entries})


@blueprint.delete("/requests")
def clear_request_log() -> Response:
    sandbox().requests.clear()
    return no_content()


@blueprint.get("/faults")
def get_faults() -> Response:
    return reply(sandbox().faults.view())


@blueprint.put("/faults")
def put_faults() -> Response:
    try:
        return reply(sandbox().faults.configure(json_body()))
    except (ValueError, TypeError) as exc:
        raise _bad_input(exc) from exc


@blueprint.delete("/faults")
def clear_faults() -> Response:
    sandbox().faults.clear()
    return no_content()


@blueprint.get("/webhooks")
def get_webhooks() -> Response:
    return reply(services().webhooks.settings())


@blueprint.put("/webhooks")
def put_webhooks() -> Response:
    try:
        return reply(services().webhooks.configure(json_body()))
    except (ValueError, TypeError, KeyError) as exc:
        raise _bad_input(exc) from exc


@blueprint.get("/webhooks/deliveries")
def deliveries() -> Response:
    return reply({"results": services().deliverer.log(request.args.get("kind"))})


@blueprint.delete("/webhooks/deliveries")
def clear_deliveries() -> Response:
    services().deliverer.clear_log()
    return no_content()


@blueprint.post("/webhooks/wait")
def wait_for_deliveries() -> Response:
    """Block until queued events are sent and nothing is due now (``timeout`` seconds, default 10)."""
    idle = services().webhooks.wait_idle(float(_body().get("timeout", 10)))
    return reply({"idle": idle}, 200 if idle else 504)


@blueprint.get("/workflows")
def get_workflows() -> Response:
    return reply(services().workflows.view())


@blueprint.put("/workflows")
def put_workflows() -> Response:
    try:
        return reply(services().workflows.configure(json_body()))
    except (ValueError, TypeError, KeyError) as exc:
        raise _bad_input(exc) from exc


def _user_source(portal: Portal, body: dict[str, Any]) -> ChangeSource:
    """Edits made "in HubSpot" by a user: changeSource CRM_UI, sourceId userId:<id>."""
    user_id = body.get("userId") or next(o.user_id for o in portal.owners.values() if o.type == "PERSON")
    return ChangeSource("CRM_UI", f"userId:{user_id}")


@blueprint.post("/objects/<object_type_key>")
def user_create(object_type_key: str) -> Response:
    otype = object_type(object_type_key)
    body = json_body()
    state = sandbox()
    with state.lock:
        portal = state.portal(body.get("portalId"))
        record = records.create_record(
            state,
            portal,
            otype,
            body.get("properties") or {},
            body.get("associations"),
            _user_source(portal, body),
        )
        shown = [name for name, value in record.properties.items() if value]
        return reply(records.serialize(portal, otype, record, shown), 201)


@blueprint.patch("/objects/<object_type_key>/<object_id>")
def user_update(object_type_key: str, object_id: str) -> Response:
    otype = object_type(object_type_key)
    body = json_body()
    state = sandbox()
    with state.lock:
        portal = state.portal(body.get("portalId"))
        record = records.require_record(portal, otype, object_id)
        records.update_record(
            state, portal, otype, record, body.get("properties") or {}, _user_source(portal, body)
        )
        shown = [name for name, value in record.properties.items() if value]
        return reply(records.serialize(portal, otype, record, shown))


@blueprint.delete("/objects/<object_type_key>/<object_id>")
def user_archive(object_type_key: str, object_id: str) -> Response:
    otype = object_type(object_type_key)
    state = sandbox()
    with state.lock:
        portal = state.portal(request.args.get("portalId"))
        record = records.require_record(portal, otype, object_id)
        records.archive_record(state, portal, otype, record, _user_source(portal, {}))
    return no_content()


@blueprint.post("/tokens")
def mint_tokens() -> Response:
    """Issue tokens without the consent dance (for tests, scripts and the demo)."""
    body = _body()
    state = sandbox()
    scopes = tuple(body.get("scopes") or sorted(state.config.app_scopes or all_scopes()))
    ttl = int(body.get("expiresIn", state.config.access_token_ttl))
    with state.lock:
        portal = state.portal(body.get("portalId"))
        user = next(o for o in portal.owners.values() if o.type == "PERSON" and not o.archived)
    grant = Grant(portal.portal_id, user.user_id, user.email, scopes, state.config.client_id)
    access, refresh = state.tokens.issue(grant, ttl)
    return reply(
        {
            "token_type": "bearer",
            "token_use": "access_token",
            "access_token": access.token,
            "refresh_token": refresh.token,
            "expires_in": ttl,
            "hub_id": portal.portal_id,
            "user_id": user.user_id,
            "scopes": list(scopes),
        },
        201,
    )


@blueprint.post("/tokens/expire")
def expire_tokens() -> Response:
    """Force access tokens to expire now: ``accessToken`` for one, ``portalId`` for a portal's, else all."""
    body = _body()
    count = sandbox().tokens.expire_access(body.get("accessToken"), body.get("portalId"))
    return reply({"expired": count})


@blueprint.post("/tokens/revoke")
def revoke_token() -> Response:
    token = _body().get("refreshToken", "")
    if not sandbox().tokens.revoke_refresh(token):
        raise api_error(404, "OBJECT_NOT_FOUND", "refresh token not found or already revoked")
    return reply({"revoked": True})
