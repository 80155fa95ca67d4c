"""``--state-file`` for the monday sandbox: the shared saver (devtools/sandboxes/persistence.py) given this
sandbox's state (snapshot.py) and its seeding (control.py ``reseed``, as a reset does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import g, request

from ..persistence import Persistence, StateHooks
from . import control, snapshot
from .state import SandboxState
from .webhooks import Webhooks


def open_state_file(
    path: str | Path, state: SandboxState, hooks: Webhooks, oauth_store: dict[str, Any]
) -> Persistence:
    def restore(data: object) -> None:
        snapshot.apply(snapshot.decode(data, state.config), state, hooks, oauth_store)

    state_hooks = StateHooks(
        label="monday sandbox",
        lock=state.lock,
        capture=lambda: snapshot.capture(state, hooks, oauth_store),
        restore=restore,
        seed=lambda: control.reseed(state, hooks),
    )
    return Persistence(path, state_hooks, state.config.state_save_interval)


def answered_a_query() -> bool:
    """A GraphQL query (not a mutation) changed nothing worth saving: monday's API is POST only."""
    return request.path == "/v2" and getattr(g, "summary", {}).get("operation") == "query"
