"""``--state-file`` for every sandbox: restore the state at start (or seed it), then save it after changes,
debounced, and a last time on a clean stop.

What a state is, how it is captured and restored, and how a fresh one is seeded is each sandbox's own
business (hubspot/snapshot.py, monday/snapshot.py); they hand it over as a :class:`StateHooks`. Requests
that may change something mark the state dirty (:func:`save_after_changes`); a background thread saves at
most once per ``interval`` seconds, and :meth:`Persistence.stop` (SIGTERM, SIGINT, ``RunningSandbox.stop()``)
saves a last time. A file that cannot be used is moved aside with a warning and the sandbox seeds afresh.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, request

from . import state_file

logger = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


class IncompatibleState(ValueError):
    """The data is not a state this version of the sandbox can restore."""


@contextmanager
def _malformed_as_incompatible() -> Iterator[None]:
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if isinstance(exc, IncompatibleState):
            raise
        raise IncompatibleState(f"malformed state ({type(exc).__name__}: {exc})") from exc


def decode_versioned(data: Any, format_name: str, version: int, decode: Callable[[dict[str, Any]], T]) -> T:
    """``decode(data)`` once ``data`` says it is ``format_name`` at ``version``; any other data, or data that
    does not decode, raises :class:`IncompatibleState` saying why."""
    if not isinstance(data, dict) or data.get("format") != format_name:
        raise IncompatibleState(f"not a {format_name} file")
    if data.get("version") != version:
        raise IncompatibleState(f"format version {data.get('version')!r}, this sandbox reads {version}")
    with _malformed_as_incompatible():
        return decode(data)


@dataclass(frozen=True)
class StateHooks:
    """A sandbox's state as :class:`Persistence` sees it."""

    #: "HubSpot sandbox", "monday sandbox": names it in log lines and the saver thread.
    label: str
    #: Held while capturing (the sandbox's state lock).
    lock: AbstractContextManager[Any]
    #: Everything worth keeping as JSON-ready data, copied (called under ``lock``).
    capture: Callable[[], dict[str, Any]]
    #: Make the saved data the current state; :class:`IncompatibleState` when it cannot.
    restore: Callable[[Any], None]
    #: Seed a fresh state (takes the lock itself).
    seed: Callable[[], None]


class Persistence:
    def __init__(self, path: str | Path, hooks: StateHooks, interval: float) -> None:
        self.path = Path(path).expanduser().resolve()
        self.status = "not loaded yet"
        self._hooks = hooks
        self._interval = interval
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
                self._hooks.restore(data)
                self.status = f"State restored from {self.path} (saved {data.get('savedAt')})"
                return self.status
            self.status = f"No state file yet: seeded, saving to {self.path}"
        except ValueError as exc:  # not JSON, or IncompatibleState
            aside = self._move_aside(exc)
            self.status = f"State file {self.path} was unusable ({exc}): moved to {aside}, seeded afresh"
        except OSError as exc:
            raise OSError(f"cannot read the sandbox state file {self.path}: {exc}") from exc
        self._hooks.seed()
        self.mark_dirty()  # write the fresh state at once
        return self.status

    def _move_aside(self, problem: Exception) -> Path:
        try:
            aside = state_file.move_aside(self.path)
        except OSError as exc:
            message = f"sandbox state file {self.path} is unusable ({problem}) and cannot be moved aside"
            raise OSError(f"{message}: {exc}") from exc
        logger.warning(
            "%s state file %s is unusable (%s); moved it to %s and seeded a fresh state",
            self._hooks.label,
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
            with self._hooks.lock:
                data = self._hooks.capture()
            encoded = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            state_file.write_atomically(self.path, encoded)

    def start(self) -> None:
        name = self._hooks.label.lower().replace(" ", "-") + "-autosave"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
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
            logger.exception("could not save the %s state to %s", self._hooks.label, self.path)

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


def save_after_changes(
    app: Flask, persistence: Persistence, read_only: Callable[[], bool] = lambda: False
) -> None:
    """Every request that may have changed something (any method but GET/HEAD/OPTIONS, unless
    ``read_only()`` says this one did not) schedules a save."""

    def note_change(response: Response) -> Response:
        if request.method not in SAFE_METHODS and not read_only():
            persistence.mark_dirty()
        return response

    app.after_request(note_change)
