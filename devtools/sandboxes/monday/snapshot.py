"""The monday sandbox's state as versioned JSON-ready data, and back again (for ``--state-file``).

Kept: the account, users and teams, every board (columns with the labels added since, groups, items with
their values and states), the next item id, every token (personal, OAuth, minted through the control API)
with its expiry and revocation, the OAuth 2.1 refresh tokens and token-signing key, the seed, the clock's
offset, and the webhook subscriptions with the next subscription id and the target URL. So a connection
made before a restart still works after it, its webhooks still arrive, and new items never reuse an id.
Not kept: pending consents and authorization codes, items_page cursors, the complexity budget, faults,
the request log and webhook deliveries (retries still queued are dropped). The start options (secrets,
token TTL, budgets) keep the values given at start.

Bump :data:`FORMAT_VERSION` whenever the shape below changes; an older file is then moved aside and the
sandbox seeds afresh (devtools/sandboxes/persistence.py).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from ..persistence import IncompatibleState, decode_versioned
from .config import SandboxConfig
from .state import Board, Column, Group, Item, SandboxState, Team, Token, User
from .values import iso
from .webhooks import Webhook, Webhooks

FORMAT = "monday-sandbox-state"
FORMAT_VERSION = 1


# --- capture --------------------------------------------------------------------------------------
def capture(state: SandboxState, hooks: Webhooks, oauth_store: dict[str, Any]) -> dict[str, Any]:
    """Everything worth keeping, copied. Call under ``state.lock``. Tokens are issued without that lock
    (oauth.py, control.py), so those dicts are copied in one step (``list``) before they are walked."""
    subscriptions, next_webhook_id = hooks.saved()
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "savedAt": iso(state.clock.now_ms()),
        # How far tests moved the clock (clock.py): restored, so what expired stays expired.
        "clockOffsetSeconds": state.clock.offset,
        "seed": state.config.seed,
        "seedItems": state.config.seed_items,
        "accountId": state.config.account_id,
        "account": copy.deepcopy(state.account),
        "users": [dataclasses.asdict(user) for user in state.users.values()],
        "teams": [dataclasses.asdict(team) for team in state.teams.values()],
        "boards": [_board_data(board) for board in state.boards.values()],
        "nextItemId": state.next_item_id,
        "tokens": [dataclasses.asdict(token) for token in list(state.tokens.values())],
        "oauth": {
            "jwtKey": oauth_store["jwt_key"],
            "refreshTokens": [
                [value, user_id, list(scopes)]
                for value, (user_id, scopes) in list(oauth_store["refresh"].items())
            ],
        },
        "webhooks": {
            "targetUrl": state.config.webhook_target_url,
            "nextId": next_webhook_id,
            "subscriptions": [dataclasses.asdict(hook) for hook in subscriptions],
        },
    }


def _board_data(board: Board) -> dict[str, Any]:
    return {
        "id": board.id,
        "name": board.name,
        "workspaceId": board.workspace_id,
        "ownerIds": list(board.owner_ids),
        "state": board.state,
        "columns": [dataclasses.asdict(column) for column in board.columns.values()],
        "groups": [dataclasses.asdict(group) for group in board.groups.values()],
        "items": [dataclasses.asdict(item) for item in board.items.values()],
    }


# --- restore --------------------------------------------------------------------------------------
@dataclass
class Restored:
    """A decoded state, not yet applied."""

    seed: int
    seed_items: int
    clock_offset: float
    account: dict[str, Any]
    users: dict[int, User]
    teams: dict[int, Team]
    boards: dict[int, Board]
    next_item_id: int
    tokens: dict[str, Token]
    jwt_key: str
    refresh_tokens: dict[str, tuple[int, tuple[str, ...]]]
    webhook_target_url: str | None
    subscriptions: list[Webhook]
    next_webhook_id: int


def decode(data: Any, config: SandboxConfig) -> Restored:
    """Check and decode saved data; :class:`IncompatibleState` says why it cannot be used."""
    restored = decode_versioned(data, FORMAT, FORMAT_VERSION, _decode)
    if data["accountId"] != config.account_id or config.board_id not in restored.boards:
        saved = f"account {data['accountId']} with boards {list(restored.boards)}"
        wanted = f"account {config.account_id} with board {config.board_id}"
        raise IncompatibleState(f"it holds {saved}, the sandbox is configured for {wanted}")
    return restored


def _decode(data: dict[str, Any]) -> Restored:
    oauth, hooks = data["oauth"], data["webhooks"]
    boards = [_board(item) for item in data["boards"]]
    users = [User(**{**item, "team_ids": tuple(item["team_ids"])}) for item in data["users"]]
    tokens = [Token(**{**item, "scopes": tuple(item["scopes"])}) for item in data["tokens"]]
    return Restored(
        seed=int(data["seed"]),
        seed_items=int(data["seedItems"]),
        clock_offset=float(data["clockOffsetSeconds"]),
        account=dict(data["account"]),
        users={user.id: user for user in users},
        teams={team.id: team for team in (Team(**item) for item in data["teams"])},
        boards={board.id: board for board in boards},
        next_item_id=int(data["nextItemId"]),
        tokens={token.token: token for token in tokens},
        jwt_key=str(oauth["jwtKey"]),
        refresh_tokens={
            str(value): (int(user_id), tuple(scopes)) for value, user_id, scopes in oauth["refreshTokens"]
        },
        webhook_target_url=hooks["targetUrl"],
        subscriptions=[Webhook(**item) for item in hooks["subscriptions"]],
        next_webhook_id=int(hooks["nextId"]),
    )


def _board(data: dict[str, Any]) -> Board:
    items = [Item(**item) for item in data["items"]]
    return Board(
        id=int(data["id"]),
        name=str(data["name"]),
        columns={column.id: column for column in (Column(**item) for item in data["columns"])},
        groups={group.id: group for group in (Group(**item) for item in data["groups"])},
        items={item.id: item for item in items},
        workspace_id=int(data["workspaceId"]),
        owner_ids=tuple(int(user_id) for user_id in data["ownerIds"]),
        state=str(data["state"]),
    )


def apply(restored: Restored, state: SandboxState, hooks: Webhooks, oauth_store: dict[str, Any]) -> None:
    """Make ``state`` (with its webhooks and OAuth store) the restored one. The personal API token of the
    start options is always accepted, as after seeding (control.py ``reseed``)."""
    config = state.config
    with state.lock:
        config.seed, config.seed_items = restored.seed, restored.seed_items
        state.clock.reset()
        state.clock.advance(restored.clock_offset)
        state.account = restored.account
        state.users, state.teams, state.boards = restored.users, restored.teams, restored.boards
        state.next_item_id = restored.next_item_id
        state.cursors.clear()
        state.tokens = restored.tokens
        if config.api_token not in state.tokens:
            state.tokens[config.api_token] = Token(config.api_token, min(state.users), "personal", ())
        oauth_store["jwt_key"] = restored.jwt_key
        oauth_store["refresh"] = dict(restored.refresh_tokens)
        config.webhook_target_url = restored.webhook_target_url
        hooks.restore(restored.subscriptions, restored.next_webhook_id)
