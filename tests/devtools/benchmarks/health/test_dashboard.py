"""``manage.py benchmark_health_dashboard`` at small scale: it seeds rollups for every connection,
renders every view, never touches the raw call records, prints a PASS/MISS line per view and
removes what it made. No timing is asserted."""

import re

import pytest
from django.core.management import call_command

from crm_integrations.models import ApiCallRollup, Organization, OrganizationIntegration
from devtools.benchmarks.health.dashboard import SLUG

pytestmark = pytest.mark.benchmark


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_renders_every_view_from_rollups_and_cleans_up(catalogue, capsys):
    call_command(
        "benchmark_health_dashboard",
        "--connections",
        "8",
        "--calls",
        "20000",
        "--requests",
        "2",
        "--configured-db",
    )
    out = capsys.readouterr().out
    assert "Connections: 8 in 2 organizations; rollups worth 20,000 call records" in out
    assert "Statements on the raw call records while rendering: 0 (must be 0)" in out
    verdicts = re.findall(
        r"^(page|JSON), .+: p50 \d+ ms, p95 \d+ ms \(2 requests; CPU .+\); goal p95 < 300 ms: (PASS|MISS)$",
        out,
        re.M,
    )
    assert len(verdicts) == 4
    assert not Organization.objects.filter(slug__startswith=SLUG).exists()
    assert not OrganizationIntegration.objects.exists() and not ApiCallRollup.objects.exists()
