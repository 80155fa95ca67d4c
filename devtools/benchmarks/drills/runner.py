"""Runs the chosen drills, in order, against one stack (``stack.running_stack``)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.management.base import CommandError

from . import fault_drills, request_drills
from .measure import DrillResult
from .stack import DrillOptions, Stack, running_stack

Drill = Callable[[Stack, DrillOptions], DrillResult]

#: Every drill by the name ``--drills`` takes, in the order they run.
DRILLS: dict[str, Drill] = {
    "replays": request_drills.replays,
    "signatures": request_drills.signatures,
    "bad-inputs": request_drills.bad_inputs,
    "crm-errors": fault_drills.crm_errors,
    "crm-timeouts": fault_drills.crm_timeouts,
    "timeout-applied": fault_drills.timeout_applied,
    "web-down": fault_drills.web_down,
    "lost-webhooks": fault_drills.lost_webhooks,
    "token-expiry": fault_drills.token_expiry,
    "revoked-refresh": fault_drills.revoked_refresh,
}


def chosen(names: tuple[str, ...]) -> list[str]:
    unknown = [name for name in names if name not in DRILLS]
    if unknown:
        raise CommandError(f"Unknown drill(s): {', '.join(unknown)}. Choose from: {', '.join(DRILLS)}.")
    return [name for name in DRILLS if not names or name in names]


def run_drills(
    options: DrillOptions, on_result: Callable[[DrillResult], None] = lambda _: None
) -> list[DrillResult]:
    """Each chosen drill in turn; ``on_result`` hears of each as it ends (the command prints it)."""
    names = chosen(options.drills)
    results = []
    with running_stack(options) as stack:
        for name in names:
            result = DRILLS[name](stack, options)
            on_result(result)
            results.append(result)
    return results
