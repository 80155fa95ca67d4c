"""Tests get their kind's markers from what they use (tests/markers.py), so ``-m`` selects right."""

from pathlib import PurePath

import pytest

from tests.markers import kinds

HERE = PurePath("tests/crm_integrations/test_x.py")


@pytest.mark.parametrize(
    ("fixtures", "path", "explicit", "expected"),
    [
        (["db", "client"], HERE, [], set()),
        (["page", "live_server"], HERE, [], {"browser", "e2e"}),
        (["hubspot_sandbox", "hubspot_sandbox_server"], HERE, [], {"e2e"}),
        (["db"], PurePath("tests/devtools/benchmarks/routing/test_latency.py"), [], {"benchmark", "e2e"}),
        (["db"], PurePath("tests/devtools/sandboxes/hubspot/test_crm.py"), [], set()),
        (["db"], HERE, ["e2e", "django_db"], {"e2e"}),
    ],
)
def test_kinds_follow_fixtures_paths_and_explicit_marks(fixtures, path, explicit, expected):
    assert kinds(fixtures, path, explicit) == expected


def test_the_collected_suite_is_marked(request):
    """This very item uses no server: it must not be marked e2e; a browser test in the suite is."""
    assert not {"browser", "e2e", "benchmark"} & {mark.name for mark in request.node.iter_markers()}
