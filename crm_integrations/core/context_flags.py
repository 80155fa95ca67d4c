"""A yes/no that holds inside a ``with`` block, for the code it calls in this thread or task only
(a ``ContextVar``): how one part of a process tells another, several calls down, to act otherwise.

Used by ``crm_integrations/core/coalescing.py`` (``handing_off``: a round with more parts to store
hands its write-backs to another process) and ``routing/existing_leads.py`` (``holding_routing``:
leads counted are stored, not routed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class ContextFlag:
    def __init__(self, name: str) -> None:
        self._var: ContextVar[bool] = ContextVar(name, default=False)

    @contextmanager
    def raised(self) -> Iterator[None]:
        token = self._var.set(True)
        try:
            yield
        finally:
            self._var.reset(token)

    def is_raised(self) -> bool:
        return self._var.get()
