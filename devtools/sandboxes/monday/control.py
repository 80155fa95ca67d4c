"""The control API under ``/_sandbox``: reset and seed, tokens, request log, faults, cursors, webhooks, and
edits "in monday" by a person (which trigger webhooks like real ones).

No authentication: the server binds to loopback, and these routes refuse any non-loopback client.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, current_app, request

from ..clock import add_clock_routes
from . import seed
from .http import no_content, reply
from .resolvers import Context, _apply
from .state import Item, ItemChange, SandboxState, Token
from .values import column_view, render
from .webhooks import Webhooks

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
blueprint = Blueprint("monday_sandbox_control", __name__)
add_clock_routes(blueprint, lambda: state().clock)


def state() -> SandboxState:
    return current_app.extensions["monday_sandbox"]


def webhooks() -> Webhooks:
    return current_app.extensions["monday_sandbox_webhooks"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str, status: int = 400) -> Response:
    return reply({"error": message}, status)


@blueprint.before_request
def _loopback_only() -> Response | None:
    if request.remote_addr not in LOOPBACK:
        return _bad("the control API answers loopback clients only", 403)
    return None


@blueprint.get("/health")
def health() -> Response:
    s = state()
    return reply({"status": "ok", "accountId": s.config.account_id, "boardId": s.config.board_id})


@blueprint.get("/config")
def get_config() -> Response:
    config = state().config
    return reply(
        {
            **config.runtime_view(),
            "accountId": config.account_id,
            "boardId": config.board_id,
            "seed": config.seed,
            "clientId": config.client_id,
            "apiToken": config.api_token,
            "webhookTargetUrl": config.webhook_target_url,
        }
    )


@blueprint.patch("/config")
def patch_config() -> Response:
    try:
        return reply(state().config.update_runtime(_body()))
    except (TypeError, ValueError) as error:
        return _bad(str(error))


def reseed(s: SandboxState, hooks: Webhooks, *, keep_tokens: bool = False) -> None:
    s.config.update_runtime(s.initial_runtime)
    s.clock.reset()
    with s.lock:
        seed.populate(s)
        tokens = dict(s.tokens) if keep_tokens else {}
        s.tokens = tokens
        admin = min(s.users)
        s.tokens[s.config.api_token] = Token(s.config.api_token, admin, "personal", ())
    s.complexity.clear()
    s.faults.clear()
    s.requests.clear()
    hooks.clear()
    s.config.webhook_target_url = None


@blueprint.post("/reset")
def reset() -> Response:
    """Re-seed (``{"seed", "seedItems", "keepTokens"}``); restores the runtime settings as started, puts
    the clock back to real time and clears cursors, budget, faults, logs and webhooks."""
    body = _body()
    s = state()
    if "seed" in body:
        s.config.seed = int(body["seed"])
    if "seedItems" in body:
        s.config.seed_items = int(body["seedItems"])
    reseed(s, webhooks(), keep_tokens=bool(body.get("keepTokens")))
    return reply({"status": "reset", "seed": s.config.seed, "items": len(s.board.items)})


@blueprint.post("/seed/items")
def seed_items() -> Response:
    count = int(_body().get("count", 100))
    if not 0 < count <= 50_000:
        return _bad("count must be between 1 and 50000")
    s = state()
    with s.lock:
        batch = len(s.board.items) + 1
        ids = seed.seed_items(s, count, batch=batch)
        total = sum(item.state == "active" for item in s.board.items.values())
    return reply(
        {"created": len(ids), "firstId": str(ids[0]), "lastId": str(ids[-1]), "totalItems": total}, 201
    )


@blueprint.get("/board")
def board() -> Response:
    """The default board as the sandbox holds it (columns, groups, item count)."""
    s = state()
    with s.lock:
        b = s.board
        return reply(
            {
                "id": str(b.id),
                "name": b.name,
                "columns": [column_view(c) for c in b.columns.values()],
                "groups": [vars(g) for g in b.groups.values()],
                "items": sum(i.state == "active" for i in b.items.values()),
            }
        )


@blueprint.get("/items/<int:item_id>")
def get_item(item_id: int) -> Response:
    s = state()
    with s.lock:
        item = s.board.items.get(item_id)
        if item is None:
            return _bad("item not found", 404)
        return reply(_item_view(s, item))


def _item_view(s: SandboxState, item: Item) -> dict[str, Any]:
    columns = s.boards[item.board_id].columns.values()
    return {
        "id": str(item.id),
        "name": item.name,
        "groupId": item.group_id,
        "state": item.state,
        "updatedMs": item.updated_ms,
        "values": {c.id: render(s, c, item)["text"] for c in columns if c.type != "name"},
    }


def _person_context(s: SandboxState, body: dict[str, Any]) -> Context:
    user = int(body.get("userId") or min(s.users))
    token = Token("control", user, "personal", ())
    charge = s.complexity.charge(-1, 0, 1, 60)
    return Context(s, token, charge, webhooks())


@blueprint.post("/items")
def user_create() -> Response:
    """Create an item as a person in monday would (``{"name", "columnValues", "groupId", "userId"}``)."""
    body = _body()
    s = state()
    with s.lock:
        ctx = _person_context(s, body)
        board = s.board
        now = s.clock.now_ms()
        item = Item(
            s.new_item_id(),
            board.id,
            str(body.get("name") or "New lead"),
            body.get("groupId") or next(iter(board.groups)),
            ctx.token.user_id,
            now,
            now,
            updater_id=ctx.token.user_id,
        )
        try:
            _apply(ctx, board, item, body.get("columnValues") or {}, bool(body.get("createLabelsIfMissing")))
        except Exception as error:  # a GraphQLError from the value parsers
            return _bad(str(error))
        board.items[item.id] = item
        s.emit(ItemChange("create_item", board.id, item.id, ctx.token.user_id, now))
        return reply(_item_view(s, item), 201)


@blueprint.patch("/items/<int:item_id>")
def user_update(item_id: int) -> Response:
    """Change columns (``{"columnValues": {...}}``, ``"name"`` included) as a person in monday would."""
    body = _body()
    s = state()
    with s.lock:
        item = s.board.items.get(item_id)
        if item is None or item.state != "active":
            return _bad("item not found", 404)
        ctx = _person_context(s, body)
        values = dict(body.get("columnValues") or {})
        if body.get("name"):
            values["name"] = body["name"]
        try:
            _apply(ctx, s.board, item, values, bool(body.get("createLabelsIfMissing")))
        except Exception as error:
            return _bad(str(error))
        for change in ctx.changes:
            s.emit(change)
        return reply(_item_view(s, item))


@blueprint.delete("/items/<int:item_id>")
def user_delete(item_id: int) -> Response:
    s = state()
    with s.lock:
        item = s.board.items.get(item_id)
        if item is None:
            return _bad("item not found", 404)
        item.state = "deleted"
    return no_content()


@blueprint.post("/tokens")
def mint_token() -> Response:
    """A token without the consent page: ``{"kind": "personal"|"oauth", "userId", "scopes", "expiresIn"}``."""
    body = _body()
    s = state()
    kind = body.get("kind") or "personal"
    if kind not in {"personal", "oauth"}:
        return _bad("kind is personal or oauth")
    user = int(body.get("userId") or min(s.users))
    if user not in s.users:
        return _bad("unknown user", 404)
    scopes = tuple(body.get("scopes") or ())
    value = ("pt_" if kind == "personal" else "oa_") + secrets.token_urlsafe(32)
    expires = s.clock.time() + float(body["expiresIn"]) if body.get("expiresIn") else None
    s.tokens[value] = Token(value, user, kind, scopes, expires_at=expires)
    return reply(
        {
            "access_token": value,
            "kind": kind,
            "user_id": user,
            "account_id": s.config.account_id,
            "scopes": list(scopes),
        },
        201,
    )


@blueprint.post("/tokens/revoke")
def revoke_token() -> Response:
    token = state().tokens.get(str(_body().get("token", "")))
    if token is None:
        return _bad("token not found", 404)
    token.revoked = True
    return reply({"revoked": True})


@blueprint.post("/cursors/expire")
def expire_cursors() -> Response:
    """Make every items_page cursor expire now (as if 60 minutes had passed)."""
    s = state()
    with s.lock:
        for cursor in s.cursors.values():
            cursor.expires = 0
        count = len(s.cursors)
    return reply({"expired": count})


@blueprint.get("/requests")
def request_log() -> Response:
    s = state()
    entries = s.requests.entries(int(request.args.get("since", "0") or 0), request.args.get("pathPrefix"))
    return reply({"count": len(entries), "lastSeq": s.requests.last_seq, "results": entries})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    state().requests.clear()
    return no_content()


@blueprint.get("/faults")
def get_faults() -> Response:
    return reply(state().faults.view())


@blueprint.put("/faults")
def put_faults() -> Response:
    try:
        return reply(state().faults.configure(_body()))
    except (TypeError, ValueError) as error:
        return _bad(str(error))


@blueprint.delete("/faults")
def clear_faults() -> Response:
    state().faults.clear()
    return no_content()


@blueprint.get("/webhooks")
def get_webhooks() -> Response:
    s = state()
    return reply(
        {
            "targetUrl": s.config.webhook_target_url,
            "signingSecret": s.config.signing_secret,
            "subscriptions": webhooks().view(),
            "retryDelay": s.config.webhook_retry_delay,
            "retryTimeScale": s.config.retry_time_scale,
            "maxRetries": s.config.webhook_max_retries,
        }
    )


@blueprint.put("/webhooks")
def put_webhooks() -> Response:
    """Point the default board's app webhooks at ``targetUrl`` (challenge first; JWT-signed deliveries).

    ``{"targetUrl", "events": ["create_item", "change_column_value"], "signed": true, "signingSecret",
    "retryDelay", "retryTimeScale", "maxRetries", "timeout"}``; ``targetUrl: null`` removes them.
    """
    body = _body()
    s = state()
    hooks = webhooks()
    for key, name, kind in (
        ("signingSecret", "signing_secret", str),
        ("retryDelay", "webhook_retry_delay", float),
        ("retryTimeScale", "retry_time_scale", float),
        ("maxRetries", "webhook_max_retries", int),
        ("timeout", "webhook_timeout", float),
    ):
        if key in body:
            setattr(s.config, name, kind(body[key]))
    if "targetUrl" in body:
        for hook in hooks.for_board(s.board.id):
            hooks.unsubscribe(hook.id)
        s.config.webhook_target_url = None
        url = body["targetUrl"]
        if url:
            created = []
            for event in body.get("events") or ["create_item", "change_column_value"]:
                try:
                    hook = hooks.subscribe(
                        s.board.id, url, event, body.get("config") or {}, signed=body.get("signed", True)
                    )
                except ValueError as error:
                    return _bad(str(error))
                if hook is None:
                    return _bad("Webhook URL verification failed: the URL did not answer the challenge", 422)
                created.append(hook)
            s.config.webhook_target_url = url
    return get_webhooks()


@blueprint.get("/webhooks/deliveries")
def deliveries() -> Response:
    return reply({"results": webhooks().deliveries()})


@blueprint.delete("/webhooks/deliveries")
def clear_deliveries() -> Response:
    webhooks().clear_log()
    return no_content()


@blueprint.post("/webhooks/wait")
def wait_for_deliveries() -> Response:
    idle = webhooks().wait_idle(float(_body().get("timeout", 10)))
    return reply({"idle": idle}, 200 if idle else 504)
