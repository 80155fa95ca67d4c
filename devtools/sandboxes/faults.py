"""What both sandboxes' fault injectors share: settings replaced as a whole through the control API
(camelCase or snake_case keys, validated), and a generator seeded from them, so a sequential client
sees the same faults on every run with the same seed."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any, ClassVar, Generic, Protocol, TypeVar


class Settings(Protocol):
    seed: int | None

    def validate(self) -> None: ...


S = TypeVar("S", bound=Settings)


class SeededFaults(Generic[S]):
    """Holds one provider's fault settings; its ``decide`` draws from ``self._rng`` under ``self._lock``."""

    settings_class: ClassVar[type]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: S = self.settings_class()
        self._rng = random.Random()

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Replace the settings with ``changes`` over the defaults (camelCase or snake_case keys)."""
        names = {f.name: f.name for f in fields(self.settings_class)}
        names.update({camel(name): name for name in list(names)})
        unknown = set(changes) - set(names)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        values = {names[key]: value for key, value in changes.items()}
        if "error_statuses" in values:
            values["error_statuses"] = tuple(int(status) for status in values["error_statuses"])
        settings = self.settings_class(**values)
        settings.validate()
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)
        return self.view()

    def clear(self) -> None:
        self.configure({})

    def view(self) -> dict[str, Any]:
        with self._lock:
            return {camel(key): value for key, value in asdict(self._settings).items()}


def band(draw: float, shares: Sequence[tuple[str, float]]) -> str | None:
    """The kind whose share the draw (0..1) falls in, the shares laid end to end; None past them all."""
    edge = 0.0
    for kind, share in shares:
        edge += share
        if share > 0 and draw < edge:
            return kind
    return None


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
