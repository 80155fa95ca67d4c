"""The drills' table: one row per drill, the legend, and each drill's notes and problems."""

from __future__ import annotations

from collections.abc import Sequence

from .measure import DrillResult
from .stack import DrillOptions

COLUMNS = ("drill", "sent", "refused", "stored", "routed", "written", "lost", "dup. writes", "recover s", "")


def _cells(result: DrillResult) -> tuple[str, ...]:
    recover = "-" if result.recover_seconds is None else f"{result.recover_seconds:.1f}"
    figures = (result.sent, result.refused, result.stored, result.routed, result.written, result.lost)
    verdict = "ok" if result.passed else "FAIL"
    return (result.name, *(str(f) for f in figures), str(result.duplicated), recover, verdict)


def table_lines(results: Sequence[DrillResult], options: DrillOptions) -> list[str]:
    rows = [COLUMNS, *(_cells(result) for result in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines += [
        "",
        "sent: leads created at the CRM (replays, signatures, bad inputs: webhook requests sent);",
        "refused: requests answered 4xx; stored, routed, written: the drill's leads taken in, decided,",
        "owned at the CRM; lost: leads never owned; dup. writes: owner writes beyond one per lead plus",
        "follow-up tasks beyond one per assignment; recover s: from the fault's end to the last owner",
        "written (0: every owner was written before it ended).",
        f"{options.leads} leads per drill; beat's recovery jobs sent every {options.beat_interval:g} s "
        "instead of every minute.",
        "",
    ]
    for result in results:
        lines += [f"{result.name}: {note}" for note in result.notes]
        lines += [f"{result.name}: PROBLEM: {problem}" for problem in result.problems]
    return lines
