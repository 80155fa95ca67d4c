"""The control API under ``/_sandbox``: reset and seed, config, clock, tokens, the request log, faults,
API usage, edits "in Salesforce" by a person (which run the assignment rule and send Outbound Messages
like real ones), lead conversion and the Outbound Message queue.

No authentication: the server binds to loopback, and these routes refuse any non-loopback client.
"""

from __future__ import annotations

import base64
import random
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..clock import add_clock_routes
from . import oauth, records, seed
from .config import INTROSPECTION_MODES, LEAD_EVENTS
from .errors import SfError
from .outbound import Outbound
from .records import object_or_404
from .state import Change, SandboxState

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
OUTBOUND_KEY = "salesforce_sandbox_outbound"
blueprint = Blueprint("salesforce_sandbox_control", __name__)


def state() -> SandboxState:
    return current_app.extensions["salesforce_sandbox"]


def outbound() -> Outbound:
    return current_app.extensions[OUTBOUND_KEY]


add_clock_routes(blueprint, lambda: state().clock)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


@blueprint.before_request
def _loopback_only() -> tuple[Response, int] | None:
    if request.remote_addr not in LOOPBACK:
        return _bad("the control API answers loopback clients only", 403)
    return None


def reseed(s: SandboxState, sender: Outbound) -> None:
    """Back to the seeded org with the runtime settings as started, real time, no usage, faults or log."""
    s.config.update_runtime(s.initial_runtime)
    s.clock.reset()
    with s.lock:
        seed.populate(s)
        s.usage.set_used(0)
    s.faults.clear()
    s.requests.clear()
    sender.clear()


@blueprint.get("/health")
def health() -> Response:
    return jsonify({"status": "ok", "orgId": state().config.org_id})


@blueprint.get("/config")
def get_config() -> Response:
    config = state().config
    extra = {
        "orgId": config.org_id,
        "clientId": config.client_id,
        "seed": config.seed,
        "seedLeads": config.seed_leads,
    }
    return jsonify({**config.runtime_view(), **extra})


@blueprint.patch("/config")
def patch_config() -> Response | tuple[Response, int]:
    body = _body()
    if body.get("introspection", INTROSPECTION_MODES[0]) not in INTROSPECTION_MODES:
        return _bad(f"introspection is one of {list(INTROSPECTION_MODES)}")
    try:
        return jsonify(state().config.update_runtime(body))
    except (TypeError, ValueError) as error:
        return _bad(str(error))


@blueprint.post("/reset")
def reset() -> Response:
    """Re-seed (``{"seed", "seedLeads"}``), as at start."""
    body, s = _body(), state()
    if "seed" in body:
        s.config.seed = int(body["seed"])
    if "seedLeads" in body:
        s.config.seed_leads = int(body["seedLeads"])
    reseed(s, outbound())
    return jsonify({"status": "reset", "seed": s.config.seed, "leads": len(s.records["Lead"])})


@blueprint.get("/seeded")
def seeded() -> Response:
    """Every seeded record's id and name, by object (what tests and the README name)."""
    s = state()
    with s.lock:
        out = {
            name: [
                {"Id": r["Id"], "Name": r.get("Name") or r.get("ApiName") or r.get("Title")}
                for r in table.values()
            ]
            for name, table in s.records.items()
            if name != "Lead"
        }
        out["Lead"] = [r["Id"] for r in s.records["Lead"].values()]
    return jsonify({"orgId": s.config.org_id, **out})


@blueprint.post("/seed/leads")
def seed_leads() -> Response | tuple[Response, int]:
    """``{"count", "ownerId", "notify"}``: new leads created now (for benchmarks), by default owned by
    the "Inbound Leads" queue; ``notify`` sends Outbound Messages for them."""
    body, s = _body(), state()
    count = int(body.get("count", 100))
    if not 0 < count <= 50_000:
        return _bad("count must be between 1 and 50000")
    with s.lock:
        rng = random.Random(s.config.seed * 7919 + len(s.records["Lead"]))
        ids = seed.seed_leads(
            s, count, rng, s.clock.now_ms(), owner=body.get("ownerId") or seed.INBOUND_QUEUE_ID
        )
        if body.get("notify"):
            for record_id in ids:
                s.emit(Change("Lead", record_id, True))
    return jsonify({"created": len(ids), "ids": ids}), 201


# --- tokens and usage -----------------------------------------------------------------------------------
@blueprint.post("/tokens")
def mint_token() -> Response | tuple[Response, int]:
    """A token pair without the consent page: ``{"userId", "scope"}`` (default: the admin, full scope)."""
    body, s = _body(), state()
    user_id = body.get("userId") or seed.ADMIN_ID
    with s.lock:
        if user_id not in s.records["User"]:
            return _bad("unknown user", 404)
        answer = oauth.mint(s, user_id, body.get("scope") or "api refresh_token")
    return jsonify(answer), 201


@blueprint.post("/tokens/revoke")
def revoke_token() -> Response | tuple[Response, int]:
    s, value = state(), str(_body().get("token", ""))
    with s.lock:
        token = s.access_tokens.get(value) or s.refresh_tokens.get(value)
        if token is None:
            return _bad("token not found", 404)
        token.revoked = True
    return jsonify({"revoked": True})


@blueprint.get("/usage")
def get_usage() -> Response:
    s = state()
    return jsonify({"used": s.usage.used(), "max": s.config.daily_api_limit})


@blueprint.put("/usage")
def put_usage() -> Response:
    """``{"used": n}``: as if ``n`` calls had been made just now."""
    s = state()
    with s.lock:
        s.usage.set_used(int(_body().get("used", 0)))
    return get_usage()


# --- a person in Salesforce --------------------------------------------------------------------------------
@blueprint.get("/records/<name>/<record_id>")
def get_record(name: str, record_id: str) -> Response:
    obj, s = object_or_404(name), state()
    with s.lock:
        return jsonify(records.get(s, obj, record_id))


@blueprint.post("/records/<name>")
def person_create(name: str) -> tuple[Response, int]:
    """``{"fields": {...}, "userId", "autoAssign"}``: as if a person (or web-to-lead) created it; the
    assignment rule runs unless ``autoAssign`` is false."""
    body, obj, s = _body(), object_or_404(name), state()
    with s.lock:
        change = records.create(
            s,
            obj,
            body.get("fields") or {},
            user_id=body.get("userId") or seed.ADMIN_ID,
            auto_assign=bool(body.get("autoAssign", True)),
        )
        s.emit(change)
        return jsonify(s.records[obj.name][change.record_id]), 201


@blueprint.patch("/records/<name>/<record_id>")
def person_update(name: str, record_id: str) -> Response:
    """``{"fields": {...}, "userId", "autoAssign"}`` (the assignment rule does not run unless asked)."""
    body, obj, s = _body(), object_or_404(name), state()
    with s.lock:
        change = records.update(
            s,
            obj,
            record_id,
            body.get("fields") or {},
            user_id=body.get("userId") or seed.ADMIN_ID,
            auto_assign=bool(body.get("autoAssign", False)),
        )
        s.emit(change)
        return jsonify(s.records[obj.name][change.record_id])


@blueprint.post("/leads/<record_id>/convert")
def convert(record_id: str) -> Response:
    """Convert a lead (``{"accountId"}`` optional): converted leads are read-only through the API."""
    body, obj, s = _body(), object_or_404("Lead"), state()
    with s.lock:
        lead = records.get(s, obj, record_id)
        if lead["IsConverted"]:
            raise SfError(400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        before = dict(lead)
        now = s.now()
        lead.update(
            IsConverted=True,
            Status="Closed - Converted",
            ConvertedDate=now[:10],
            SystemModstamp=now,
            LastModifiedDate=now,
            ConvertedAccountId=body.get("accountId"),
        )
        s.emit(Change("Lead", lead["Id"], False, before))
        return jsonify(lead)


@blueprint.post("/files")
def attach_file() -> tuple[Response, int]:
    """``{"linkedEntityId", "title", "base64"}``: a file on a record (ContentVersion + link)."""
    body, s = _body(), state()
    with s.lock:
        version = seed.attach_file(
            s,
            str(body["linkedEntityId"]),
            str(body.get("title") or "file.pdf"),
            base64.b64decode(body.get("base64") or ""),
            s.clock.now_ms(),
        )
        return jsonify(version), 201


# --- request log and faults ---------------------------------------------------------------------------------
@blueprint.get("/requests")
def request_log() -> Response:
    s = state()
    entries = s.requests.entries(
        int(request.args.get("since", "0") or 0), request.args.get("pathPrefix"), request.args.get("method")
    )
    return jsonify({"count": len(entries), "lastSeq": s.requests.last_seq, "results": entries})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    state().requests.clear()
    return Response(status=204)


@blueprint.get("/faults")
def get_faults() -> Response:
    return jsonify(state().faults.view())


@blueprint.put("/faults")
def put_faults() -> Response | tuple[Response, int]:
    try:
        return jsonify(state().faults.configure(_body()))
    except (TypeError, ValueError) as error:
        return _bad(str(error))


@blueprint.delete("/faults")
def clear_faults() -> Response:
    state().faults.clear()
    return Response(status=204)


# --- Outbound Messages ----------------------------------------------------------------------------------
OUTBOUND_OPTIONS = {
    "url": "outbound_url",
    "leadEvents": "outbound_lead_events",
    "opportunityStage": "outbound_opportunity_stage",
    "timeout": "outbound_timeout",
    "retryBase": "outbound_retry_base",
    "retryMax": "outbound_retry_max",
    "retryWindow": "outbound_retry_window",
}


@blueprint.get("/outbound")
def get_outbound() -> Response:
    config = state().config
    settings = {key: getattr(config, name) for key, name in OUTBOUND_OPTIONS.items()}
    return jsonify({**settings, "messages": outbound().view()})


@blueprint.put("/outbound")
def put_outbound() -> Response | tuple[Response, int]:
    body = _body()
    unknown = set(body) - set(OUTBOUND_OPTIONS)
    if unknown:
        return _bad(f"unknown outbound setting(s): {', '.join(sorted(unknown))}")
    if body.get("leadEvents", LEAD_EVENTS[-1]) not in LEAD_EVENTS:
        return _bad(f"leadEvents is one of {list(LEAD_EVENTS)}")
    try:
        state().config.update_runtime({OUTBOUND_OPTIONS[key]: value for key, value in body.items()})
    except (TypeError, ValueError) as error:
        return _bad(str(error))
    return get_outbound()


@blueprint.get("/outbound/deliveries")
def outbound_deliveries() -> Response:
    return jsonify({"results": outbound().deliveries()})


@blueprint.post("/outbound/wait")
def outbound_wait() -> tuple[Response, int]:
    idle = outbound().wait_idle(float(_body().get("timeout", 10)))
    return jsonify({"idle": idle}), 200 if idle else 504


@blueprint.post("/outbound/run")
def outbound_run() -> Response:
    return jsonify({"attempts": outbound().run_due()})
