"""Route-if filters: whether a lead is routed at all, before any rule is looked at.

Three filters run in order, each leaves a trace: "status" (won/lost/excluded leads are closed and
never routed), "excluded source" (the policy's excluded sources, case-insensitive) and "owner" (the
policy's :class:`~.types.OwnerPolicy`). The first filter that does not pass holds the lead.

Owner: a lead is *unowned* when its CRM owner id is a placeholder (a queue, not a rep), or when it
carries neither a CRM owner id nor a rep id. Under ``UNOWNED_OR_UNAVAILABLE`` an owned lead is
routed too when its owner is not one of our reps (``owner_rep_id`` empty), is not in the roster,
or is an inactive rep; an active rep keeps the lead even when out of office or full.
"""

from __future__ import annotations

from collections.abc import Iterable

from .types import FilterTrace, LeadFacts, OwnerPolicy, Roster, RouteIfPolicy

STATUS = "status"
EXCLUDED_SOURCE = "excluded source"
OWNER = "owner"
CLOSED_STATUSES = frozenset({"won", "lost", "excluded"})


def status_filter(lead: LeadFacts) -> FilterTrace:
    status = lead.fields.get("status")
    text = "" if status is None else str(status).strip().casefold()
    if text in CLOSED_STATUSES:
        return FilterTrace(STATUS, False, f"status is {text}")
    if not text:
        return FilterTrace(STATUS, True, "status is empty")
    if text == "open":
        return FilterTrace(STATUS, True, "status is open")
    return FilterTrace(STATUS, True, f"status is {text} (not closed)")


def fold_sources(sources: Iterable[str]) -> frozenset[str]:
    return frozenset(str(source).strip().casefold() for source in sources)


def source_filter(lead: LeadFacts, excluded: frozenset[str]) -> FilterTrace:
    """``excluded`` holds folded source values (:func:`fold_sources`)."""
    source = lead.fields.get("source")
    text = "" if source is None else str(source).strip()
    if not text:
        return FilterTrace(EXCLUDED_SOURCE, True, "no source")
    if text.casefold() in excluded:
        return FilterTrace(EXCLUDED_SOURCE, False, f"source '{text}' is excluded")
    return FilterTrace(EXCLUDED_SOURCE, True, f"source '{text}' is not excluded")


def owner_filter(lead: LeadFacts, policy: RouteIfPolicy, roster: Roster) -> FilterTrace:
    external = lead.owner_external_id.strip()
    if external and external in policy.placeholder_owner_ids:
        return FilterTrace(OWNER, True, f"owner {external} is a placeholder (no rep owns the lead)")
    if not external and not lead.owner_rep_id:
        return FilterTrace(OWNER, True, "no owner")
    rep = roster.reps.get(lead.owner_rep_id) if lead.owner_rep_id else None
    owner = f"owner {external or 'rep ' + lead.owner_rep_id}"
    named = f" ({rep.name or rep.id})" if rep is not None else ""
    owner_policy = OwnerPolicy(policy.owner_policy)
    if owner_policy is OwnerPolicy.ALWAYS:
        return FilterTrace(OWNER, True, f"{owner}{named} owns the lead; the policy routes whatever the owner")
    if owner_policy is OwnerPolicy.UNOWNED_ONLY:
        return FilterTrace(OWNER, False, f"{owner}{named} owns the lead; only unowned leads are routed")
    if not lead.owner_rep_id:
        return FilterTrace(OWNER, True, f"{owner} is not one of our reps")
    if rep is None:
        return FilterTrace(OWNER, True, f"{owner} is not in the roster")
    if not rep.active:
        return FilterTrace(OWNER, True, f"{owner} is an inactive rep{named}")
    return FilterTrace(OWNER, False, f"{owner} is an active rep{named}")


def run_filters(
    lead: LeadFacts,
    policy: RouteIfPolicy,
    roster: Roster,
    *,
    excluded_sources: frozenset[str] | None = None,
) -> tuple[tuple[FilterTrace, ...], bool]:
    """Every filter's trace, in order, and whether the lead is routed (all passed).

    ``excluded_sources`` may pass the policy's sources already folded (the engine keeps them).
    """
    excluded = fold_sources(policy.excluded_sources) if excluded_sources is None else excluded_sources
    traces = (status_filter(lead), source_filter(lead, excluded), owner_filter(lead, policy, roster))
    return traces, all(trace.passed for trace in traces)


def held_by(traces: Iterable[FilterTrace]) -> str:
    """The name of the first filter that did not pass ("" when all passed)."""
    return next((trace.name for trace in traces if not trace.passed), "")
