"""devtools/ is not shipped in production (pyproject.toml): settings load and manage.py runs without it
(config/optional_apps.py), and in a checkout the dev commands keep their names."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

from config import optional_apps

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("config", "crm_integrations", "field_mapping", "routing", "contracts", "templates", "static")
DEV_COMMANDS = (
    "benchmark_contract_creation",
    "benchmark_contract_status",
    "benchmark_hubspot_reads",
    "benchmark_routing_engine",
    "benchmark_routing_latency",
    "benchmark_webhook_intake",
    "run_drills",
    "run_sandbox",
    "setup_demo",
    "setup_routing_demo",
)


def test_devtools_is_installed_only_where_it_is_importable(monkeypatch):
    assert "devtools" in settings.INSTALLED_APPS
    assert optional_apps.present_dev_apps() == ["devtools"]
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "devtools" else real_find_spec(name, *a)
    )
    assert optional_apps.present_dev_apps() == []


def test_the_dev_commands_keep_their_names_in_the_devtools_app():
    commands = get_commands()
    assert {name: commands.get(name) for name in DEV_COMMANDS} == dict.fromkeys(DEV_COMMANDS, "devtools")
    assert "run_hubspot_sandbox" not in commands and "run_monday_sandbox" not in commands


def test_manage_py_runs_without_devtools(tmp_path):
    """A tree of the product alone (what a production install ships): checks pass, no dev command."""
    for name in PRODUCT:
        (tmp_path / name).symlink_to(ROOT / name)
    # The test settings register a provider that lives in tests/providers/ (config/settings/test.py).
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    # A copy: Python puts a linked script's real folder (the checkout, with devtools/) on sys.path.
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONPATH": "",
    }

    def manage(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    assert "no issues" in manage("check")
    listed = manage("help", "--commands").split()
    assert "prune_data" in listed and "run_sandbox" not in listed and "setup_demo" not in listed
