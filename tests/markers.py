"""Which kind of test an item is, from what it uses: so a new test cannot forget its marker.

``browser``: drives Chromium (the ``page`` fixtures). ``e2e``: needs servers or other processes
(the live server, a CRM sandbox over HTTP, gunicorn, Celery workers, ``make run``). ``benchmark``:
a benchmark's test (tests/devtools/benchmarks/). ``pytest -m "not browser and not e2e and not
benchmark"`` is the fast inner loop; CI runs everything. Applied by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

BROWSER_FIXTURES = frozenset({"page", "admin_page", "chromium"})
#: Fixtures that start (or reach) a server: the test server, and every CRM sandbox fixture.
E2E_FIXTURES = frozenset(
    {
        "live_server",
        "hubspot_sandbox_server",
        "monday_sandbox_server",
        "salesforce_sandbox_server",
        "running_sandbox",
    }
)
BENCHMARKS = ("tests", "devtools", "benchmarks")


def kinds(fixtures: Iterable[str], path: PurePath, explicit: Iterable[str] = ()) -> set[str]:
    """The markers an item gets: ``explicit`` (its own ``pytestmark``) plus what its fixtures and
    its place in tests/ say."""
    used = set(fixtures)
    found = {name for name in explicit if name in {"browser", "e2e", "benchmark"}}
    if used & BROWSER_FIXTURES:
        found |= {"browser", "e2e"}
    if used & E2E_FIXTURES:
        found.add("e2e")
    parts = path.parts
    if any(parts[i : i + len(BENCHMARKS)] == BENCHMARKS for i in range(len(parts))):
        found |= {"benchmark", "e2e"}
    return found
