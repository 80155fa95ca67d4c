"""``manage.py run_banner`` (devtools/run_banner.py): what ``make run`` prints names every process it starts
and every CRM sandbox with its URL and state file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from devtools.run_banner import SandboxLine, banner_lines, procfile_processes


@pytest.fixture
def sandbox_urls(settings):
    """The sandboxes' URLs as a deployment's settings give them (ports 9100 and 9101)."""
    from crm_integrations.hubspot.config import hubspot_apps

    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {**hubspot_apps()["sandbox"], "API_BASE_URL": "http://127.0.0.1:9100"},
    }
    settings.MONDAY = {"sandbox": {"AUTH_URL": "http://127.0.0.1:9101", "SIGNING_SECRET": "s" * 32}}
    return settings


def run_banner(*args: str) -> list[str]:
    out = StringIO()
    call_command("run_banner", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_banner_names_every_procfile_process_and_each_sandbox_with_its_url_and_state_file(sandbox_urls):
    lines = run_banner("--port", "8123")
    text = "\n".join(lines)
    names = [name for name, _ in procfile_processes(Path(django_settings.BASE_DIR) / "Procfile")]
    assert {"web", "worker", "beat", "sandboxes"} <= set(names)
    for name in names:
        assert any(line.split()[:1] == [name] for line in lines), f"{name} is not named"
    assert "the product (gunicorn)  http://127.0.0.1:8123" in text
    var = Path(sandbox_urls.VAR_DIR).resolve().relative_to(Path(sandbox_urls.BASE_DIR).resolve())  # as shown
    hubspot = next(line for line in lines if "HubSpot sandbox" in line)
    monday = next(line for line in lines if "Monday.com sandbox" in line)
    assert "http://127.0.0.1:9100" in hubspot and str(var / "hubspot-sandbox.json") in hubspot
    assert "http://127.0.0.1:9101" in monday and str(var / "monday-sandbox.json") in monday
    assert lines[-1] == (
        "Admin: http://127.0.0.1:8123/admin/   Connect a CRM: http://127.0.0.1:8123/integrations/connect/"
    )


def test_a_process_without_a_description_shows_its_command_and_no_sandbox_is_said(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "# comment: not a process\nweb: gunicorn app\n\nmailer: python send.py\nsandboxes: x\n"
    )
    processes = procfile_processes(procfile)
    assert [name for name, _ in processes] == ["web", "mailer", "sandboxes"]
    lines = banner_lines("http://127.0.0.1:8000", processes, [])
    assert "  mailer     python send.py" in lines
    assert "  sandboxes  no CRM sandbox (no registered provider has one)" in lines


def test_a_sandbox_without_a_state_file_says_its_state_is_in_memory():
    lines = banner_lines(
        "http://127.0.0.1:8000",
        [("sandboxes", "manage.py run_sandbox --all")],
        [
            SandboxLine("A sandbox", "http://127.0.0.1:1", None),
            SandboxLine("B", "http://127.0.0.1:2", "var/b"),
        ],
    )
    assert lines[1] == "  sandboxes  A sandbox  http://127.0.0.1:1  (state in memory only)"
    assert lines[2] == "             B          http://127.0.0.1:2  (state kept in var/b)"
