"""Settings come from the environment, with safe defaults, and every variable is documented."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _django_setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ENCRYPTION_KEYS", "DEBUG"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
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
