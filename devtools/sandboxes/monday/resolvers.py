"""Resolvers for the part of monday's schema a lead integration uses.

Queries: ``boards`` (``columns``, ``groups``, ``items_page``, ``owners``), ``next_items_page``,
``items(ids:)`` (default ``limit`` 25: monday's silent cap), ``users``, ``me``, ``account``,
``complexity``, ``webhooks``. Mutations: ``change_multiple_column_values``, ``change_column_value``,
``change_simple_column_value``, ``create_item``, ``create_webhook`` (with the challenge handshake),
``delete_webhook``. Every other field of the schema resolves to null (or is absent from the data).
"""

from __future__ import annotations

import json
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from .complexity import Charge
from .errors import field_error
from .queries import matching_ids
from .state import Board, CursorState, Item, ItemChange, SandboxState, Token, User
from .values import column_view, is_empty, iso, parse_write, render

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .webhooks import Webhooks

MAX_PAGE = 500
MAX_ITEM_IDS = 100
MAX_USERS = 1000
MAX_NAME_LENGTH = 255
SCOPES = {
    "boards": "boards:read",
    "items": "boards:read",
    "next_items_page": "boards:read",
    "items_page_by_column_values": "boards:read",
    "users": "users:read",
    "me": "me:read",
    "account": "account:read",
    "webhooks": "webhooks:read",
    "change_multiple_column_values": "boards:write",
    "change_column_value": "boards:write",
    "change_simple_column_value": "boards:write",
    "create_item": "boards:write",
    "create_webhook": "webhooks:write",
    "delete_webhook": "webhooks:write",
}


@dataclass
class Context:
    state: SandboxState
    token: Token
    charge: Charge
    webhooks: Webhooks
    changes: list[ItemChange] = field(default_factory=list)

    @property
    def user(self) -> User:
        return self.state.users[self.token.user_id]


def _ctx(info: GraphQLResolveInfo) -> Context:
    return info.context


def _require_scope(info: GraphQLResolveInfo) -> None:
    ctx = _ctx(info)
    needed = SCOPES.get(info.field_name)
    if needed and ctx.token.kind == "oauth" and needed not in ctx.token.scopes:
        raise field_error(
            f"Missing required permissions: {needed}",
            "missingRequiredPermissions",
            403,
            required_scopes=[needed],
        )


def _board(state: SandboxState, board_id: Any) -> Board:
    try:
        return state.boards[int(board_id)]
    except (KeyError, TypeError, ValueError):
        raise field_error(
            f"Board {board_id} not found", "InvalidBoardIdException", 404, board_id=str(board_id)
        ) from None


def _item(board: Board, item_id: Any) -> Item:
    try:
        item = board.items[int(item_id)]
    except (KeyError, TypeError, ValueError):
        item = None
    if item is None or item.state != "active":
        # monday documents no code for a missing item; this one is the sandbox's choice.
        raise field_error(
            f"Item {item_id} not found in board {board.id}",
            "ResourceNotFoundException",
            404,
            item_id=str(item_id),
        )
    return item


@contextmanager
def unlocked(state: SandboxState) -> Iterator[None]:
    """Let go of the state lock around an outbound call (the webhook challenge)."""
    state.lock.release()
    try:
        yield
    finally:
        state.lock.acquire()


# --- Query ----------------------------------------------------------------------------------------


def resolve_complexity(root: Any, info: GraphQLResolveInfo) -> dict[str, int]:
    charge = _ctx(info).charge
    return {
        "before": charge.before,
        "query": charge.cost,
        "after": charge.after,
        "reset_in_x_seconds": charge.reset_in,
    }


def resolve_boards(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Board]:
    _require_scope(info)
    state = _ctx(info).state
    boards = list(state.boards.values())
    if args.get("ids"):
        wanted = {str(i) for i in args["ids"]}
        boards = [board for board in boards if str(board.id) in wanted]
    board_state = args.get("state") or "active"
    if board_state != "all":
        boards = [board for board in boards if board.state == board_state]
    limit, page = int(args.get("limit") or 25), max(1, int(args.get("page") or 1))
    return boards[(page - 1) * limit : page * limit]


def resolve_board_columns(board: Board, info: GraphQLResolveInfo, **args: Any) -> list[dict[str, Any]]:
    columns = list(board.columns.values())
    if args.get("ids"):
        columns = [column for column in columns if column.id in set(args["ids"])]
    if args.get("types"):
        columns = [column for column in columns if column.type in set(args["types"])]
    return [column_view(column) for column in columns]


def resolve_board_groups(board: Board, info: GraphQLResolveInfo, **args: Any) -> list[dict[str, Any]]:
    groups = list(board.groups.values())
    if args.get("ids"):
        groups = [group for group in groups if group.id in set(args["ids"])]
    return [{**vars(group), "archived": False, "deleted": False, "board": board} for group in groups]


def _page(state: SandboxState, cursor: CursorState, limit: int) -> dict[str, Any]:
    if not 1 <= limit <= MAX_PAGE:
        raise field_error(f"limit must be between 1 and {MAX_PAGE}", "InvalidArgumentException", 400)
    board = state.boards[cursor.board_id]
    chunk = cursor.ids[cursor.offset : cursor.offset + limit]
    offset = cursor.offset + len(chunk)
    token = None
    if offset < len(cursor.ids):
        token = secrets.token_urlsafe(24)
        state.cursors[token] = CursorState(cursor.board_id, cursor.ids, offset, cursor.expires)
    items = [board.items[i] for i in chunk if i in board.items and board.items[i].state == "active"]
    return {"cursor": token, "items": items}


def resolve_items_page(board: Board, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    state = _ctx(info).state
    if args.get("cursor"):
        return _next_page(state, str(args["cursor"]), int(args.get("limit") or 25))
    ids = matching_ids(state, board, args.get("query_params"))
    cursor = CursorState(board.id, ids, 0, state.clock.time() + state.config.cursor_ttl)
    return _page(state, cursor, int(args.get("limit") or 25))


def resolve_group_items_page(group: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    state = _ctx(info).state
    board = group["board"]
    ids = matching_ids(state, board, args.get("query_params"), {group["id"]})
    return _page(
        state,
        CursorState(board.id, ids, 0, state.clock.time() + state.config.cursor_ttl),
        int(args.get("limit") or 25),
    )


def _next_page(state: SandboxState, token: str, limit: int) -> dict[str, Any]:
    cursor = state.cursors.get(token)
    if cursor is None or state.clock.time() >= cursor.expires:
        # The code and wording are the sandbox's (monday documents only the 60-minute lifetime).
        raise field_error(
            "CursorExpiredError: The cursor provided for pagination has expired. Please refresh your query.",
            "CursorExpiredError",
            400,
        )
    return _page(state, cursor, limit)


def resolve_next_items_page(
    root: Any, info: GraphQLResolveInfo, cursor: str, limit: int = 25
) -> dict[str, Any]:
    _require_scope(info)
    return _next_page(_ctx(info).state, cursor, int(limit))


def resolve_items(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Item]:
    _require_scope(info)
    state = _ctx(info).state
    ids = [str(i) for i in args.get("ids") or []]
    if len(ids) > MAX_ITEM_IDS:
        raise field_error(f"items takes at most {MAX_ITEM_IDS} ids", "InvalidArgumentException", 400)
    everything = {item.id: item for board in state.boards.values() for item in board.items.values()}
    if ids:
        wanted = {int(i) for i in ids if i.isdigit()}
        found = sorted((everything[i] for i in wanted if i in everything), key=lambda item: item.id)
    else:
        found = sorted(everything.values(), key=lambda item: item.id, reverse=bool(args.get("newest_first")))
    found = [item for item in found if item.state != "deleted"]
    if args.get("exclude_nonactive"):
        found = [item for item in found if item.state == "active"]
    limit, page = int(args.get("limit") or 25), max(1, int(args.get("page") or 1))  # the silent default of 25
    return found[(page - 1) * limit : page * limit]


def resolve_users(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[User]:
    _require_scope(info)
    state = _ctx(info).state
    statuses = set(args.get("status") or ("ACTIVE", "PENDING"))
    if args.get("non_active"):
        statuses.add("INACTIVE")
    users = [user for user in state.users.values() if user.status in statuses]
    if args.get("ids"):
        wanted = {str(i) for i in args["ids"]}
        users = [user for user in users if str(user.id) in wanted]
    if args.get("emails"):
        emails = {email.lower() for email in args["emails"]}
        users = [user for user in users if user.email.lower() in emails]
    if args.get("name"):
        users = [user for user in users if args["name"].lower() in user.name.lower()]
    kind = args.get("kind") or "all"
    if kind == "guests":
        users = [user for user in users if user.kind == "guest"]
    elif kind == "non_guests":
        users = [user for user in users if user.kind != "guest"]
    elif kind == "non_pending":
        users = [user for user in users if user.status != "PENDING"]
    users.sort(key=lambda user: user.id, reverse=bool(args.get("newest_first")))
    limit = int(args.get("limit") or 200)
    if not 1 <= limit <= MAX_USERS:
        raise field_error(f"limit must be between 1 and {MAX_USERS}", "InvalidArgumentException", 400)
    page = max(1, int(args.get("page") or 1))
    return users[(page - 1) * limit : page * limit]


def resolve_me(root: Any, info: GraphQLResolveInfo) -> User:
    _require_scope(info)
    return _ctx(info).user


def resolve_account(root: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    _require_scope(info)
    return _ctx(info).state.account


def resolve_webhooks(
    root: Any, info: GraphQLResolveInfo, board_id: str, app_webhooks_only: bool = False
) -> list:
    _require_scope(info)
    ctx = _ctx(info)
    _board(ctx.state, board_id)
    return [
        hook.view() for hook in ctx.webhooks.for_board(int(board_id)) if hook.signed or not app_webhooks_only
    ]


# --- Item and User fields ---------------------------------------------------------------------------


def resolve_item_column_values(item: Item, info: GraphQLResolveInfo, **args: Any) -> list[dict[str, Any]]:
    state = _ctx(info).state
    board = state.boards[item.board_id]
    columns = [column for column in board.columns.values() if column.type != "name"]
    if args.get("ids"):
        wanted = set(args["ids"])
        columns = [column for column in columns if column.id in wanted]
    if args.get("types"):
        columns = [column for column in columns if column.type in set(args["types"])]
    return [render(state, column, item) for column in columns]


def resolve_item_group(item: Item, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    board = _ctx(info).state.boards[item.board_id]
    group = board.groups.get(item.group_id)
    return None if group is None else {**vars(group), "archived": False, "deleted": False, "board": board}


ITEM_FIELDS = {
    "created_at": lambda item, info: iso(item.created_ms),
    "updated_at": lambda item, info: iso(item.updated_ms),
    "creator_id": lambda item, info: str(item.creator_id),
    "board": lambda item, info: _ctx(info).state.boards[item.board_id],
    "group": resolve_item_group,
    "column_values": resolve_item_column_values,
    "email": lambda item, info: f"pulse-{item.id}@sandbox-sales.monday.com",
    "url": lambda item, info: f"https://sandbox-sales.monday.com/boards/{item.board_id}/pulses/{item.id}",
    "relative_link": lambda item, info: f"/boards/{item.board_id}/pulses/{item.id}",
    "subitems": lambda item, info: [],
    "subscribers": lambda item, info: [],
    "parent_item": lambda item, info: None,
}
BOARD_FIELDS = {
    "columns": resolve_board_columns,
    "groups": resolve_board_groups,
    "items_page": resolve_items_page,
    "board_kind": lambda board, info: "public",
    "items_count": lambda board, info: sum(item.state == "active" for item in board.items.values()),
    "owners": lambda board, info: [_ctx(info).state.users[i] for i in board.owner_ids],
    "subscribers": lambda board, info: [],
    "permissions": lambda board, info: "everyone",
}
USER_FIELDS = {
    "account": lambda user, info: _ctx(info).state.account,
    "account_id": lambda user, info: _ctx(info).state.account["id"],
    "teams": lambda user, info, **args: [
        {**vars(team), "users": [], "owners": [], "is_guest": False}
        for team_id in user.team_ids
        if (team := _ctx(info).state.teams.get(team_id)) is not None
    ],
    "is_deleted": lambda user, info: False,
    "url": lambda user, info: f"https://sandbox-sales.monday.com/users/{user.id}",
    "is_email_confirmed": lambda user, info: user.status != "PENDING",
    "invitation_method": lambda user, info: "email",
    "bb_visitor_id": lambda user, info: str(user.id),
    "enabled": lambda user, info: user.status == "ACTIVE",
}


# --- Mutations ------------------------------------------------------------------------------------


def _values_argument(raw: Any) -> dict[str, Any]:
    """``column_values`` is a JSON-encoded string (scalar ``JSON``); an object literal is taken as is."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise field_error(
                f"column_values is not valid JSON: {error.msg}", "InvalidArgumentException", 400
            ) from None
    if not isinstance(raw, dict):
        raise field_error(
            "column_values must be a JSON object keyed by column id", "InvalidArgumentException", 400
        )
    return raw


def _apply(ctx: Context, board: Board, item: Item, values: dict[str, Any], create_labels: bool) -> None:
    """Validate every value first (all or nothing per item), then write and record the changes."""
    parsed: dict[str, Any] = {}
    new_name: str | None = None
    for column_id, raw in values.items():
        if column_id == "name":
            if is_empty(raw) or not isinstance(raw, str):
                raise field_error(
                    "The item name must be a non-empty string",
                    "ColumnValueException",
                    200,
                    column_type="name",
                    column_id="name",
                )
            if len(raw) > MAX_NAME_LENGTH:
                raise field_error("Item name is too long", "ItemNameTooLongException", 200)
            new_name = raw
            continue
        column = board.columns.get(column_id)
        if column is None:
            raise field_error(
                f"This column ID doesn't exist for the board: {column_id}",
                "InvalidColumnIdException",
                200,
                column_id=column_id,
            )
        parsed[column_id] = parse_write(ctx.state, column, raw, create_labels=create_labels)
    now = ctx.state.clock.now_ms()
    user = ctx.token.user_id
    if new_name is not None and new_name != item.name:
        ctx.changes.append(
            ItemChange("change_name", board.id, item.id, user, now, "name", item.name, new_name)
        )
        item.name = new_name
    for column_id, value in parsed.items():
        previous = item.values.get(column_id)
        if value == previous:
            continue
        if value is None:
            item.values.pop(column_id, None)
        else:
            item.values[column_id] = value
        item.changed_ms[column_id] = now
        ctx.changes.append(
            ItemChange("change_column_value", board.id, item.id, user, now, column_id, previous, value)
        )
    item.updated_ms = max(now, item.updated_ms)
    item.updater_id = user


def resolve_change_multiple(
    root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    column_values: Any,
    item_id: str | None = None,
    create_labels_if_missing: bool = False,
) -> Item:
    _require_scope(info)
    ctx = _ctx(info)
    board = _board(ctx.state, board_id)
    item = _item(board, item_id)
    _apply(ctx, board, item, _values_argument(column_values), bool(create_labels_if_missing))
    return item


def resolve_change_column_value(
    root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    column_id: str,
    value: Any,
    item_id: str | None = None,
    create_labels_if_missing: bool = False,
) -> Item:
    _require_scope(info)
    ctx = _ctx(info)
    board = _board(ctx.state, board_id)
    item = _item(board, item_id)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise field_error("value is not valid JSON", "InvalidArgumentException", 400) from None
    _apply(ctx, board, item, {column_id: value}, bool(create_labels_if_missing))
    return item


def resolve_change_simple(
    root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    column_id: str,
    value: str | None = None,
    item_id: str | None = None,
    create_labels_if_missing: bool = False,
) -> Item:
    _require_scope(info)
    ctx = _ctx(info)
    board = _board(ctx.state, board_id)
    item = _item(board, item_id)
    _apply(ctx, board, item, {column_id: value}, bool(create_labels_if_missing))
    return item


def resolve_create_item(
    root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    item_name: str,
    column_values: Any = None,
    group_id: str | None = None,
    create_labels_if_missing: bool = False,
    **_: Any,
) -> Item:
    _require_scope(info)
    ctx = _ctx(info)
    board = _board(ctx.state, board_id)
    if len(item_name) > MAX_NAME_LENGTH:
        raise field_error("Item name is too long", "ItemNameTooLongException", 200)
    group = group_id or next(iter(board.groups))
    if group not in board.groups:
        raise field_error(f"Group {group} not found", "InvalidGroupIdException", 404, group_id=group)
    values = _values_argument(column_values)
    now = ctx.state.clock.now_ms()
    item = Item(
        ctx.state.new_item_id(),
        board.id,
        item_name,
        group,
        ctx.token.user_id,
        now,
        now,
        updater_id=ctx.token.user_id,
    )
    changes_before = len(ctx.changes)
    _apply(ctx, board, item, values, bool(create_labels_if_missing))
    del ctx.changes[changes_before:]  # a new item is one create_item event, not one per column
    board.items[item.id] = item
    ctx.changes.append(ItemChange("create_item", board.id, item.id, ctx.token.user_id, now))
    return item


def resolve_create_webhook(
    root: Any, info: GraphQLResolveInfo, board_id: str, url: str, event: str, config: Any = None
) -> dict[str, Any]:
    _require_scope(info)
    ctx = _ctx(info)
    _board(ctx.state, board_id)
    if len(url) > 255:
        raise field_error("The webhook URL is longer than 255 characters", "InvalidArgumentException", 400)
    settings = json.loads(config) if isinstance(config, str) else config
    signed = ctx.token.kind == "oauth"  # only app tokens' webhooks carry a JWT (monday's webhook docs)
    with unlocked(ctx.state):
        hook = ctx.webhooks.subscribe(int(board_id), url, event, settings or {}, signed=signed)
    if hook is None:
        raise field_error(
            "Webhook URL verification failed: the URL did not answer the challenge",
            "InvalidArgumentException",
            400,
            url=url,
        )
    return hook.view()


def resolve_delete_webhook(root: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    _require_scope(info)
    hook = _ctx(info).webhooks.unsubscribe(int(id))
    if hook is None:
        raise field_error(f"Webhook {id} not found", "ResourceNotFoundException", 404)
    return hook.view()


def install(schema: GraphQLSchema) -> None:
    """Attach the resolvers to the schema built from the SDL file."""
    query = schema.query_type.fields
    for name, resolver in {
        "boards": resolve_boards,
        "items": resolve_items,
        "next_items_page": resolve_next_items_page,
        "users": resolve_users,
        "me": resolve_me,
        "account": resolve_account,
        "complexity": resolve_complexity,
        "webhooks": resolve_webhooks,
    }.items():
        query[name].resolve = resolver
    mutation = schema.mutation_type.fields
    for name, resolver in {
        "complexity": resolve_complexity,
        "change_multiple_column_values": resolve_change_multiple,
        "change_column_value": resolve_change_column_value,
        "change_simple_column_value": resolve_change_simple,
        "create_item": resolve_create_item,
        "create_webhook": resolve_create_webhook,
        "delete_webhook": resolve_delete_webhook,
    }.items():
        mutation[name].resolve = resolver
    for type_name, resolvers in (("Item", ITEM_FIELDS), ("Board", BOARD_FIELDS), ("User", USER_FIELDS)):
        fields = schema.type_map[type_name].fields
        for name, resolver in resolvers.items():
            if name in fields:
                fields[name].resolve = resolver
    schema.type_map["Group"].fields["items_page"].resolve = resolve_group_items_page
    schema.type_map["ColumnValue"].resolve_type = lambda value, info, abstract: value["__typename"]
