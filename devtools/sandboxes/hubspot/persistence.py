"""``--state-file`` for the HubSpot sandbox: the shared saver (devtools/sandboxes/persistence.py) given this
sandbox's state (snapshot.py) and its seeding (seed.py)."""

from __future__ import annotations

from pathlib import Path

from ..persistence import Persistence, StateHooks
from . import seed, snapshot
from .state import SandboxState
from .webhooks import AppWebhooks
from .workflows import Workflows


def open_state_file(
    path: str | Path, state: SandboxState, webhooks: AppWebhooks, workflows: Workflows
) -> Persistence:
    def restore(data: object) -> None:
        snapshot.apply(snapshot.decode(data, state.config), state, webhooks, workflows)

    def populate() -> None:
        with state.lock:
            seed.populate(state)

    hooks = StateHooks(
        label="HubSpot sandbox",
        lock=state.lock,
        capture=lambda: snapshot.capture(state, webhooks, workflows),
        restore=restore,
        seed=populate,
    )
    return Persistence(path, hooks, state.config.state_save_interval)
