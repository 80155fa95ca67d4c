"""``--state-file`` for the Salesforce sandbox: the shared saver (devtools/sandboxes/persistence.py) given
this sandbox's state (snapshot.py) and its seeding (control.py ``reseed``, as a reset does)."""

from __future__ import annotations

from pathlib import Path

from flask import request

from ..persistence import Persistence, StateHooks
from . import control, snapshot
from .outbound import Outbound
from .state import SandboxState

#: POSTs that change nothing worth saving.
READ_ONLY_POSTS = ("/services/oauth2/introspect", "/_sandbox/outbound/wait", "/_sandbox/outbound/run")


def open_state_file(path: str | Path, state: SandboxState, sender: Outbound) -> Persistence:
    hooks = StateHooks(
        label="Salesforce sandbox",
        lock=state.lock,
        capture=lambda: snapshot.capture(state),
        restore=lambda data: snapshot.apply(snapshot.decode(data, state.config), state),
        seed=lambda: control.reseed(state, sender),
    )
    return Persistence(path, hooks, state.config.state_save_interval)


def changed_nothing() -> bool:
    return request.path in READ_ONLY_POSTS
