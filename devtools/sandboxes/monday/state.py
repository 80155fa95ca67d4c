"""The sandbox's in-memory monday account: users, boards with columns, groups and items, tokens, cursors.

Every read or write of account data happens under ``SandboxState.lock``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock
from ..requestlog import RequestLog
from .complexity import ComplexityBudget
from .config import SandboxConfig
from .faults import FaultInjector


@dataclass
class User:
    id: int
    name: str
    email: str
    title: str = ""
    status: str = "ACTIVE"  # UserStatus: ACTIVE, INACTIVE (deactivated), PENDING (invited)
    kind: str = "member"  # admin, member, guest, view_only
    created_at: str = ""
    time_zone_identifier: str = "Europe/London"
    team_ids: tuple[int, ...] = ()


@dataclass
class Team:
    id: int
    name: str


@dataclass
class Column:
    id: str
    title: str
    type: str  # a ColumnType value
    settings: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    archived: bool = False

    def status_labels(self) -> dict[int, str]:
        return {int(index): label for index, label in (self.settings.get("labels") or {}).items() if label}

    def dropdown_labels(self) -> dict[int, str]:
        return {int(option["id"]): option["name"] for option in self.settings.get("labels") or []}


@dataclass
class Group:
    id: str
    title: str
    color: str
    position: str


@dataclass
class Item:
    id: int
    board_id: int
    name: str
    group_id: str
    creator_id: int
    created_ms: int
    updated_ms: int
    #: column id -> monday's stored ``value`` (the JSON the API reads back), absent = empty.
    values: dict[str, Any] = field(default_factory=dict)
    #: column id -> when it last changed (ms), for ``changed_at`` in people/status values.
    changed_ms: dict[str, int] = field(default_factory=dict)
    updater_id: int | None = None
    state: str = "active"  # active, archived, deleted

    @property
    def updated_s(self) -> int:
        return self.updated_ms // 1000


@dataclass
class Board:
    id: int
    name: str
    columns: dict[str, Column]
    groups: dict[str, Group]
    items: dict[int, Item] = field(default_factory=dict)
    workspace_id: int = 1
    owner_ids: tuple[int, ...] = ()
    state: str = "active"


@dataclass
class Token:
    token: str
    user_id: int
    kind: str  # "personal" (v2 API token) or "oauth" (an app's token)
    scopes: tuple[str, ...]
    expires_at: float | None = None  # epoch seconds; None = never (personal, legacy OAuth)
    revoked: bool = False

    def valid(self, now: float) -> bool:
        """Usable at ``now`` (epoch seconds by the sandbox's clock)."""
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass
class CursorState:
    """A position in a frozen result list; every page hands out a new token with the same ``expires``."""

    board_id: int
    ids: list[int]
    offset: int
    expires: float  # epoch seconds: initial request + cursor_ttl (later pages do not extend it)


@dataclass(frozen=True)
class ItemChange:
    """What webhooks are made of: an item created, or one column (or the name) of an item changed."""

    kind: str  # "create_item", "change_column_value", "change_name"
    board_id: int
    item_id: int
    user_id: int
    occurred_ms: int
    column_id: str | None = None
    previous_value: Any = None
    value: Any = None


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        #: Runtime settings as started, restored by every reset (tests change them).
        self.initial_runtime = config.runtime_view()
        self.lock = threading.RLock()
        self.clock = Clock()
        self.account: dict[str, Any] = {}
        self.users: dict[int, User] = {}
        self.teams: dict[int, Team] = {}
        self.boards: dict[int, Board] = {}
        self.tokens: dict[str, Token] = {}
        self.cursors: dict[str, CursorState] = {}
        self.next_item_id = 0
        self.requests = RequestLog()
        self.faults = FaultInjector()
        self.complexity = ComplexityBudget(self.clock)
        self.stop_event = threading.Event()
        self._listeners: list[Callable[[ItemChange], None]] = []

    @property
    def board(self) -> Board:
        """The default (seeded) board."""
        return self.boards[self.config.board_id]

    def new_item_id(self) -> int:
        self.next_item_id += 1
        return self.next_item_id

    def subscribe(self, listener: Callable[[ItemChange], None]) -> None:
        """``listener`` runs under the lock for every item change, so it must only enqueue."""
        self._listeners.append(listener)

    def emit(self, change: ItemChange) -> None:
        for listener in self._listeners:
            listener(change)
