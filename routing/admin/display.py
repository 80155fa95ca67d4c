"""How routing values read in the admin (scores, write-backs, links), shared by its pages."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ..models import Decision, OwnerWrite, Rep

EMPTY = "—"


def score_text(rep: Rep) -> str:
    """``0.72 = win rate 0.80 · load 0.60 · speed 0.70 (12 won, 3 lost)``."""
    parts = rep.score_parts or {}
    shown = [
        f"{label} {parts[key]:.2f}"
        for key, label in (("win_rate", "win rate"), ("load", "load"), ("speed", "speed"))
        if isinstance(parts.get(key), int | float)
    ]
    if not shown:
        return f"{rep.score:.2f} (no outcomes yet)"
    counts = f" ({parts.get('won', 0)} won, {parts.get('lost', 0)} lost)"
    return f"{rep.score:.2f} = {' · '.join(shown)}{counts}"


def latency_text(write: OwnerWrite) -> str:
    latency = write.latency_ms
    return EMPTY if latency is None else f"{latency:.0f} ms"


def write_text(write: OwnerWrite | None) -> str:
    """``written in 230 ms`` / ``failed, will retry (attempt 2)``; "—" without a write-back."""
    if write is None:
        return EMPTY
    if write.status == "written":
        return f"written in {latency_text(write)}"
    attempts = f" (attempt {write.attempts})" if write.attempts else ""
    return f"{write.get_status_display().lower()}{attempts}"


def decision_text(decision: Decision | None) -> str:
    """``Assigned → Ann`` / ``Held by a filter``; "not routed yet" without a decision."""
    if decision is None:
        return "not routed yet"
    return decision.get_outcome_display() + (f" → {decision.rep}" if decision.rep_id else "")


def owner_write_of(decision: Decision | None) -> OwnerWrite | None:
    if decision is None:
        return None
    try:
        return decision.owner_write
    except OwnerWrite.DoesNotExist:
        return None


def admin_link(obj: Any, text: Any = None) -> str:
    """A link to ``obj``'s admin change page (its text when it has none)."""
    if obj is None:
        return EMPTY
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(text or obj)
    return format_html('<a href="{}">{}</a>', url, text or obj)
