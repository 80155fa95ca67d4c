"""What the engine keeps between decisions, so that routing a stream of leads through one rule set
costs little more than the rules a lead is checked against.

Everything here is keyed on the identity of the objects it was built from, and holds those objects
too (so an id cannot be reused by another object while its entry lives). That keeps it valid when
the caller passes a new ``Roster`` after each assignment, as ``routing/assign.py`` does when a rep's
load moves: a replaced rep or team mapping is simply looked at afresh.

* :class:`IdentityCache`: the last few values built for tuples of objects (``decide.py`` keeps the
  compiled rule sets in one, and :class:`PoolOrders` the pools per team mapping in another);
* :class:`PoolOrders`: each rule's pool and fallback in pool order, per ``Roster.teams`` object;
* :class:`AvailabilityWindows`: each rep's availability and the minutes of its local day through
  which that answer holds, per ``RepState`` object; :meth:`AvailabilityWindows.at` answers for one
  ``now``;
* :class:`CandidateTraces`: the :class:`~.types.CandidateTrace` of a rep and its verdict, per
  ``RepState`` object.

What is kept is in frozen slotted dataclasses rather than positional tuples: named fields, and
slot reads are as fast as tuple indexing on the hot path (a named tuple's fields are not).
Conditions' results per field value are kept by the compiled rules themselves (``conditions.py``).
Plain Python, no Django; the engine's only module state is the compiled rule sets ``decide.py``
keeps.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from .eligibility import LocalMoment, availability_at, availability_window, local_moment, zone_name
from .pools import pool_order
from .types import CandidateTrace, RepState, Rule

V = TypeVar("V")

#: (eligible, reason), as :func:`~.eligibility.availability_at` answers.
Availability = tuple[bool, str]
#: Entries kept per rep object (availability windows, candidate traces) before starting afresh.
REP_MEMO_LIMIT = 20_000
#: The local moment used for reps with neither absences nor working hours (it cannot matter).
NO_MOMENT: LocalMoment = (date.min, 0, 0)


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    objects: tuple[object, ...]
    value: V


class IdentityCache(Generic[V]):
    """The last ``size`` values built for tuples of objects, keyed on the objects' identity.
    Thread-safe: two threads may build the same value at once, and the last one is kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, ...], _Entry[V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, objects: tuple[object, ...], build: Callable[[], V]) -> V:
        key = tuple(id(o) for o in objects)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and all(a is b for a, b in zip(entry.objects, objects, strict=True)):
                self._entries.move_to_end(key)
                return entry.value
        value = build()
        with self._lock:
            self._entries[key] = _Entry(objects, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


@dataclass(frozen=True, slots=True)
class RulePools:
    """A rule's pool and fallback in pool order (:func:`~.pools.pool_order`) for one team mapping,
    and the reps whose rotation credits the rule keeps (both pools)."""

    pool: tuple[str, ...]
    fallback: tuple[str, ...]
    keep: frozenset[str]


class PoolOrders:
    """:class:`RulePools` per rule (by its index in the rule set), kept per team mapping object."""

    def __init__(self, size: int = 8) -> None:
        self._by_teams: IdentityCache[dict[int, RulePools]] = IdentityCache(size)

    def get(self, index: int, rule: Rule, teams: Mapping[str, tuple[str, ...]]) -> RulePools:
        by_rule = self._by_teams.get((teams,), dict)
        found = by_rule.get(index)
        if found is None:
            pool, fallback = pool_order(rule.pool, teams), pool_order(rule.fallback, teams)
            found = by_rule[index] = RulePools(pool, fallback, frozenset(pool) | frozenset(fallback))
        return found


@dataclass(frozen=True, slots=True)
class AvailabilityWindow:
    """A rep's availability on one local ``day``, which holds for local minutes ``[low, high)``."""

    rep: RepState
    day: date
    low: int
    high: int
    answer: Availability


class AvailabilityWindows:
    """The last :class:`AvailabilityWindow` of each rep object (at most ``limit``, then afresh)."""

    def __init__(self, limit: int = REP_MEMO_LIMIT) -> None:
        self.limit = limit
        self._kept: dict[int, AvailabilityWindow] = {}

    def at(self, now: datetime) -> AvailabilityAt:
        """Availability of reps at ``now`` (refused at once if ``now`` is naive)."""
        return AvailabilityAt(now, self)


class AvailabilityAt:
    """Availability of reps at one ``now``. The local moment is computed once per time zone; an
    answer is reused (also across decisions, through the :class:`AvailabilityWindows`) while the
    rep object is the same and its local time stays in the window through which the answer holds."""

    __slots__ = ("_kept", "_limit", "_moments", "_now")

    def __init__(self, now: datetime, windows: AvailabilityWindows) -> None:
        local_moment(now, "UTC")  # refuses a naive ``now`` before anything else
        self._now = now
        self._moments: dict[str, LocalMoment] = {}
        self._kept = windows._kept  # the hot path: one dict lookup per rep
        self._limit = windows.limit

    def __call__(self, rep: RepState) -> Availability:
        if not rep.out_of_office and rep.working_hours is None:
            return availability_at(rep, NO_MOMENT)
        name = zone_name(rep)
        moment = self._moments.get(name)
        if moment is None:
            moment = self._moments[name] = local_moment(self._now, name)
        day, _, minute = moment
        kept = self._kept.get(id(rep))
        if kept is not None and kept.rep is rep and kept.day == day and kept.low <= minute < kept.high:
            return kept.answer
        answer, low, high = availability_window(rep, moment)
        if len(self._kept) >= self._limit:
            self._kept.clear()
        self._kept[id(rep)] = AvailabilityWindow(rep, day, low, high, answer)
        return answer


@dataclass(frozen=True, slots=True)
class _KeptTrace:
    rep: RepState
    trace: CandidateTrace


class CandidateTraces:
    """The :class:`~.types.CandidateTrace` of each (rep object, verdict), built once (at most
    ``limit`` kept, then afresh): equal traces for a rep that did not change, without rebuilding."""

    def __init__(self, limit: int = REP_MEMO_LIMIT) -> None:
        self.limit = limit
        self._kept: dict[tuple[int, bool, str], _KeptTrace] = {}

    def get(self, rep: RepState, eligible: bool, reason: str) -> CandidateTrace:
        key = (id(rep), eligible, reason)
        kept = self._kept.get(key)
        if kept is not None and kept.rep is rep:
            return kept.trace
        trace = CandidateTrace(rep.id, eligible, reason, rep.score, rep.open_leads, rep.capacity)
        if len(self._kept) >= self.limit:
            self._kept.clear()
        self._kept[key] = _KeptTrace(rep, trace)
        return trace
