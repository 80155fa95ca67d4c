"""The batch-first promise: 1,000 leads with contact and company in at most 40 HubSpot API calls."""

from __future__ import annotations

import math

from django.core.management import call_command

from devtools.management.commands.benchmark_hubspot_reads import GOAL, run_benchmark


def test_reading_1000_leads_with_their_context_takes_at_most_40_calls(hubspot, sandbox):
    report = run_benchmark(hubspot, sandbox.control, 1000)

    assert report.leads == report.with_contact == report.with_company == 1000
    assert report.total_calls <= GOAL, report.calls_by_endpoint
    # Calls grow with N/100 (batch reads) and N/1000 (associations), never with N.
    assert all(calls <= math.ceil(1000 / 100) for calls in report.calls_by_endpoint.values())
    assert report.calls_by_endpoint["POST /crm/v3/objects/leads/batch/read"] == 10
    # What the client recorded is what the sandbox answered: no hidden retries or extra calls.
    assert report.recorded_calls == report.total_calls


def test_the_command_prints_calls_by_endpoint_and_the_total(db, sandbox, sandbox_settings, capsys):
    call_command("benchmark_hubspot_reads", "--sandbox-url", sandbox.base_url, "--leads", "150")

    out = capsys.readouterr().out
    assert "POST /crm/v3/objects/leads/batch/read" in out
    assert "API calls in all (goal <= 40): OK" in out
    assert "leads with a contact: 150/150" in out
    total = int(next(line for line in out.splitlines() if "API calls in all" in line).split()[0])
    assert total == len(sandbox.control.requests())
