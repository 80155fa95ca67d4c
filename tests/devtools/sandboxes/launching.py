"""Starting sandboxes on a state file and stopping every one at the end: the persistence tests of
both sandboxes (tests/devtools/sandboxes/hubspot/test_persistence.py, monday/test_persistence.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def launcher(
    start_sandbox: Callable[..., Any], state_path: Path, **defaults: Any
) -> Iterator[Callable[..., Any]]:
    """``start(**config)`` starts a sandbox on ``state_path`` (saving quickly, ``defaults`` keep it
    small); all it started are stopped when the block ends."""
    started: list[Any] = []

    def start(**config: Any) -> Any:
        options = {"state_file": str(state_path), "state_save_interval": 0.05, **defaults, **config}
        sandbox = start_sandbox(**options)
        started.append(sandbox)
        return sandbox

    try:
        yield start
    finally:
        for sandbox in started:
            sandbox.stop()
