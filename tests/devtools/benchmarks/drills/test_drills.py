"""The reliability drills (``manage.py run_drills``): a tiny run of three cheap drills through the
real stack (a HubSpot sandbox, gunicorn, a Celery worker), its table read back figure by figure,
and the exit rule (any loss, duplicated write or problem fails the command)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.benchmarks.drills.measure import DrillResult, same_value_rewrites
from devtools.benchmarks.drills.report import COLUMNS
from devtools.benchmarks.drills.runner import DRILLS

FIGURES = COLUMNS[1:-1]


def table(output: str) -> dict[str, dict[str, str]]:
    """The table's rows by drill name: each figure by its column, and the verdict."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("drill "))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        name, _, rest = line.partition("  ")
        cells = rest.split()
        rows[name.strip()] = {**dict(zip(FIGURES, cells[: len(FIGURES)], strict=True)), "verdict": cells[-1]}
    return rows


@pytest.mark.django_db(transaction=True)
def test_a_tiny_run_counts_every_lead_written_once_and_every_forgery_refused(catalogue):
    out = StringIO()

    call_command(
        "run_drills", "--drills", "replays,signatures,timeout-applied", "--leads", "4",
        "--fault-seconds", "1", "--workers", "1", "--web-workers", "1", "--timeout", "40", "--configured-db",
        stdout=out,
    )  # fmt: skip

    text = out.getvalue()
    rows = table(text)
    assert list(rows) == ["replays", "signatures", "timeout but applied"]
    # 4 leads fit one batch of 5 events, sent 3 times at once: each lead taken in and written once.
    assert rows["replays"] == {
        "sent": "3", "refused": "0", "stored": "4", "routed": "4", "written": "4", "lost": "0",
        "dup. writes": "0", "recover s": "-", "verdict": "ok",
    }  # fmt: skip
    # The same batch stale (v3 alone, v3 beside v1) and under another app's secret: 3 refusals.
    assert rows["signatures"] == {
        "sent": "3", "refused": "3", "stored": "0", "routed": "0", "written": "0", "lost": "0",
        "dup. writes": "0", "recover s": "-", "verdict": "ok",
    }  # fmt: skip
    assert "signatures: answers: stale v3 401, stale v1+v3 401, foreign 401" in text
    applied = rows["timeout but applied"]
    assert (applied["sent"], applied["written"], applied["lost"], applied["dup. writes"]) == (
        "4",
        "4",
        "0",
        "0",
    )
    assert applied["verdict"] == "ok" and float(applied["recover s"]) >= 0
    # The fault really struck: the first owner update (seeded draw) was applied and its answer held.
    struck = re.search(r"timeout but applied: faults on for 1 s after creation or more: (\d+) timeout", text)
    assert struck and int(struck[1]) >= 1


def result(**changes) -> DrillResult:
    figures = {"name": "replays", "sent": 3, "refused": 0, "stored": 4, "routed": 4, "written": 4}
    return DrillResult(**{**figures, "lost": 0, "duplicated": 0, "recover_seconds": None, **changes})


@pytest.mark.parametrize(
    "failing",
    [{"lost": 1, "written": 3}, {"duplicated": 1}, {"problems": ("the connection stayed connected",)}],
)
def test_the_command_fails_on_a_loss_a_duplicate_or_a_problem(monkeypatch, failing):
    monkeypatch.setattr(
        "devtools.management.commands.run_drills.run_drills",
        lambda options, on_result: [result(), result(name="token expiry", **failing)],
    )
    out = StringIO()

    with pytest.raises(CommandError, match="problems in: token expiry"):
        call_command("run_drills", "--leads", "4", stdout=out)

    rows = table(out.getvalue())
    assert rows["replays"]["verdict"] == "ok" and rows["token expiry"]["verdict"] == "FAIL"


def test_a_clean_run_exits_zero_and_unknown_drills_are_refused(monkeypatch):
    seen = []
    monkeypatch.setattr(
        "devtools.management.commands.run_drills.run_drills",
        lambda options, on_result: seen.append(options) or [result()],
    )
    call_command("run_drills", "--drills", "replays, web-down", "--leads", "7", stdout=StringIO())
    [options] = seen
    assert (options.drills, options.leads, options.fresh_db) == (("replays", "web-down"), 7, True)

    with pytest.raises(CommandError, match="Unknown drill"):
        call_command("run_drills", "--drills", "replays,fire", stdout=StringIO())
    assert len(DRILLS) == 10


def test_a_rewrite_of_the_owner_in_place_is_told_from_a_change_of_owner():
    writes = {"1": [(1, "70"), (2, "70")], "2": [(1, "70"), (2, "71")], "3": [(1, "70")]}
    assert same_value_rewrites(writes) == 1
