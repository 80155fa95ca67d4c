"""``--state-file``: restore the state at start (or seed it), then save it after changes, debounced.

Requests that may change something (any method but GET/HEAD/OPTIONS) mark the state dirty; a background
thread saves at most once per ``state_save_interval`` seconds, and :meth:`Persistence.stop` (clean shutdown:
SIGTERM, SIGINT, ``RunningSandbox.stop()``) saves a last time. A file that cannot be used is moved aside
with a warning and the sandbox seeds afresh.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from . import seed, snapshot, state_file
from .state import SandboxState
from .webhooks import AppWebhooks
from .workflows import Workflows

logger = logging.getLogger(__name__)


class Persistence:
    def __init__(
        self, path: str | Path, state: SandboxState, webhooks: AppWebhooks, workflows: Workflows
    ) -> None:
        self.path = Path(path).expanduser().resolve()
        self.status = "not loaded yet"
        self._state = state
        self._webhooks = webhooks
        self._workflows = workflows
        self._interval = state.config.state_save_interval
        self._dirty = threading.Event()
        self._closing = threading.Event()
        self._save_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False

    # --- start ---------------------------------------------------------------------------------------------
    def load_or_seed(self) -> str:
        """Restore the saved state, or seed (no file, or an unusable one: moved aside). Returns a status."""
        try:
            data = state_file.read_json(self.path)
            if data is not None:
                restored = snapshot.decode(data, self._state.config)
                snapshot.apply(restored, self._state, self._webhooks, self._workflows)
                self.status = f"State restored from {self.path} (saved {data.get('savedAt')})"
                return self.status
            self.status = f"No state file yet: seeded, saving to {self.path}"
        except ValueError as exc:  # not JSON, or snapshot.IncompatibleState
            aside = self._move_aside(exc)
            self.status = f"State file {self.path} was unusable ({exc}): moved to {aside}, seeded afresh"
        except OSError as exc:
            raise OSError(f"cannot read the sandbox state file {self.path}: {exc}") from exc
        with self._state.lock:
            seed.populate(self._state)
        self.mark_dirty()  # write the fresh state at once
        return self.status

    def _move_aside(self, problem: Exception) -> Path:
        try:
            aside = state_file.move_aside(self.path)
        except OSError as exc:
            message = f"sandbox state file {self.path} is unusable ({problem}) and cannot be moved aside"
            raise OSError(f"{message}: {exc}") from exc
        logger.warning(
            "HubSpot sandbox state file %s is unusable (%s); moved it to %s and seeded a fresh state",
            self.path,
            problem,
            aside,
        )
        return aside

    # --- saving --------------------------------------------------------------------------------------------
    def mark_dirty(self) -> None:
        self._dirty.set()

    def save(self) -> None:
        """Write the current state now (atomically)."""
        with self._save_lock:
            self._dirty.clear()  # before the capture: a change made meanwhile marks it dirty again
            with self._state.lock:
                data = snapshot.capture(self._state, self._webhooks, self._workflows)
            encoded = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            state_file.write_atomically(self.path, encoded)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hubspot-sandbox-autosave", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closing.is_set():
            self._dirty.wait()
            if self._closing.wait(self._interval):  # gather changes for one interval; stopping saves anyway
                return
            self._save_logging_errors()

    def _save_logging_errors(self) -> None:
        try:
            self.save()
        except Exception:
            self._dirty.set()  # try again next interval
            logger.exception("could not save the HubSpot sandbox state to %s", self.path)

    def stop(self) -> None:
        """Stop the background saver and save a last time (once, however often it is called)."""
        if self._stopped:
            return
        self._stopped = True
        self._closing.set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._save_logging_errors()
