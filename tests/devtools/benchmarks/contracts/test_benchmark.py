"""``manage.py benchmark_contract_creation`` at small scale: real gunicorn and Celery processes, the
sandbox's workflow webhooks; checked for consistency, never for timings."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from contracts.models import Contract
from crm_integrations.models import Organization
from devtools.benchmarks.contracts.creation import SLUG, CreationOptions, run_benchmark
from devtools.benchmarks.contracts.report import report_lines


@pytest.mark.django_db(transaction=True)
def test_every_deal_becomes_a_contract_with_its_file_and_the_figures_are_printed(catalogue):
    report = run_benchmark(CreationOptions(deals=3, interval=0, web_workers=1, workers=1, timeout=90))

    assert (report.deals, report.contracts, report.lost, report.webhooks) == (3, 3, 0, 3)
    assert len(report.created) == 3 and min(report.created) > 0
    assert (report.files_expected, report.files_stored, report.files_identical) == (3, 3, 3)
    assert min(report.stored) >= min(report.created)
    assert report.api_calls >= 3 * 9  # a contract: deal read 5, files listed 2, signed URL 1, download 1
    text = "\n".join(report_lines(report))
    assert "contracts created                       3/3" in text
    assert "stored files identical to the CRM's     3/3" in text
    assert "webhook received -> contract created    p50 " in text and "p95 " in text
    assert not Organization.objects.filter(slug=SLUG).exists() and not Contract.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_refuses_nonsense(catalogue):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1 deal"):
        call_command("benchmark_contract_creation", "--deals", "0")


@pytest.mark.django_db(transaction=True)
def test_status_changes_reach_their_deals_through_real_workers_and_the_figures_are_printed(catalogue):
    from devtools.benchmarks.contracts.report import status_report_lines
    from devtools.benchmarks.contracts.status import SLUG as STATUS_SLUG
    from devtools.benchmarks.contracts.status import StatusOptions
    from devtools.benchmarks.contracts.status import run_benchmark as run_status_benchmark

    # A push whose answer is lost on a loaded machine (over the 5 s write timeout) is read back and
    # retried CRM_WRITE_SETTLE_SECONDS (60) later: the wait must outlast one such retry.
    report = run_status_benchmark(StatusOptions(changes=4, contracts=2, interval=0.2, workers=1, timeout=150))

    assert (report.changes, report.contracts, report.deals_final) == (4, 2, 2)
    assert 1 <= report.written <= 4 and len(report.latencies) == report.written
    assert min(report.latencies) >= 0 and report.first_write > 0
    assert report.api_calls >= report.written  # one batch update per write
    text = "\n".join(status_report_lines(report))
    assert "deals ending on the latest status         2/2" in text
    assert "status change -> deal updated             p50 " in text and "p95 " in text
    assert not Organization.objects.filter(slug=STATUS_SLUG).exists() and not Contract.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_status_command_refuses_nonsense(catalogue):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1 change"):
        call_command("benchmark_contract_status", "--changes", "0")
