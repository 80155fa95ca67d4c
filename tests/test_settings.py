"""Settings come from the environment, with safe defaults, and every variable is documented."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from crm_integrations.core import registry

ROOT = Path(__file__).resolve().parent.parent


def _django_setup(
    env: dict[str, str], *, code: str = "from django.conf import settings; print(settings.DEBUG)"
) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ENCRYPTION_KEYS", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.base", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# Set but empty: the repo's .env (read with overwrite=False) cannot fill them in.
UNSET = {"SECRET_KEY": "", "ENCRYPTION_KEYS": ""}


def test_debug_is_off_unless_asked_and_then_secret_key_is_required():
    result = _django_setup({**UNSET})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_encryption_keys_are_required_when_debug_is_off():
    result = _django_setup({**UNSET, "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "ENCRYPTION_KEYS must be set" in result.stderr


def test_debug_on_needs_neither():
    result = _django_setup({**UNSET, "DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_every_environment_variable_read_by_settings_is_documented_in_env_example():
    source = (ROOT / "config" / "settings" / "base.py").read_text()
    read = set(re.findall(r"env\.\w+\(\s*\"([A-Z_]+)\"", source)) | set(
        re.findall(r"Env\(\)\.\w+\(\s*\"([A-Z_]+)\"", source)
    )
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read, "no variables found: the pattern above is stale"
    assert read - documented == set()


def provider_folders() -> set[Path]:
    """``crm_integrations/<key>/`` of each registered provider (not a test's own provider under tests/)."""
    modules = {sys.modules[type(provider).__module__] for provider in registry.providers()}
    folders = {Path(module.__file__).parent for module in modules}
    return {folder for folder in folders if folder.is_relative_to(ROOT / "crm_integrations")}


def test_every_environment_variable_a_provider_reads_is_documented_in_its_setup_guide():
    """A provider's own settings are read in its folder and listed in its SETUP.md, not .env.example."""
    checked = 0
    for folder in sorted(provider_folders()):
        source = "\n".join(path.read_text() for path in folder.glob("*.py"))
        read = set(re.findall(r"env\.\w+\(\s*\"([A-Z_]+)\"", source))
        guide = (folder / "SETUP.md").read_text()  # every provider folder has one
        documented = set(re.findall(r"^([A-Z_]+)=", guide, re.MULTILINE))
        assert read - documented == set(), folder.name
        checked += len(read)
    assert checked, "no variables found: the pattern above is stale"


def _env_example() -> dict[str, str]:
    """The variables of .env.example, as `cp .env.example .env` would give them."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


# What the running settings are, for the test below to compare with the embedded defaults.
REPORT_SETTINGS = """
import json
from django.conf import settings
from django.core.management import call_command
from crm_integrations.hubspot.config import hubspot_settings
from crm_integrations.monday.config import monday_settings
call_command("check")
print(json.dumps({
    "database": settings.DATABASES["default"]["ENGINE"] + " " + str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"] + " " + settings.CACHES["default"]["LOCATION"],
    "broker": settings.CELERY_BROKER_URL,
    "rate_limits": settings.CRM_HTTP["RATE_LIMIT_STORAGE_URL"],
    "media": str(settings.MEDIA_ROOT),
    "hubspot_redirect": hubspot_settings("production")["REDIRECT_URI"],
    "hubspot_sandbox_redirect": hubspot_settings("sandbox")["REDIRECT_URI"],
    "monday_redirect": monday_settings("production")["REDIRECT_URI"],
    "csrf_trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
}))
"""


def test_env_example_copied_as_is_starts_on_the_embedded_defaults():
    example = _env_example()
    assert example["DATABASE_URL"] == "" and example["VAR_DIR"] == ""  # the case being tested

    result = _django_setup({**example, "DEBUG": "true"}, code=REPORT_SETTINGS)

    assert result.returncode == 0, result.stderr
    var = ROOT / "var"
    callback = "http://127.0.0.1:8000/api/v1/integrations"
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "database": f"config.db.sqlite3 {var / 'db.sqlite3'}",
        "cache": f"config.file_cache.LockedAddFileCache {var / 'cache'}",
        "broker": "filesystem://",
        "rate_limits": f"sqlite:///{var / 'ratelimit.sqlite3'}",
        "media": str(var / "media"),
        "hubspot_redirect": f"{callback}/hubspot/callback",
        "hubspot_sandbox_redirect": f"{callback}/hubspot/callback",
        "monday_redirect": f"{callback}/monday/callback",
        "csrf_trusted_origins": [],
    }
