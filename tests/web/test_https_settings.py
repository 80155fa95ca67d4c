"""HTTPS defaults of config/settings/base.py: secure cookies outside DEBUG, redirect and HSTS behind a
TLS proxy, no plain-http public URL in production, `check --deploy` clean, Sentry without locals.

Settings are read once per process, so each case starts Python with its own environment.
"""

import base64
import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.test import Client

from config.public_url import is_loopback_http
from tests.test_settings import ROOT, _django_setup

KEYS = {"SECRET_KEY": "x" * 50, "ENCRYPTION_KEYS": "k1:" + "A" * 43}
# Set but empty: the defaults apply even when the repo's .env sets them (it is read with overwrite=False).
DEFAULTS = {
    name: "" for name in ("SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "BEHIND_TLS_PROXY")
}

REPORT = """
import json
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
)}))
"""


def _settings(**env: str) -> dict:
    result = _django_setup({**KEYS, **DEFAULTS, **env}, code=REPORT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8001", True),
        ("http://127.0.0.2", True),
        ("http://[::1]:8000", True),
        ("https://127.0.0.1:8000", False),
        ("http://leads.example.com", False),
        ("http://127.0.0.1.nip.io", False),
        ("http://10.0.0.5:8000", False),
    ],
)
def test_only_http_on_this_machine_counts_as_loopback_http(url, loopback):
    assert is_loopback_http(url) is loopback


def test_outside_debug_a_plain_http_public_url_refuses_to_start():
    result = _django_setup({**KEYS, "DEBUG": "false", "PUBLIC_BASE_URL": "http://leads.example.com"})

    assert result.returncode != 0
    assert "PUBLIC_BASE_URL must be an https:// URL when DEBUG is off" in result.stderr


def test_make_run_serves_loopback_http_outside_debug_with_plain_cookies_and_no_redirect():
    served = _settings(DEBUG="false", PUBLIC_BASE_URL="http://127.0.0.1:8000")

    assert served["SESSION_COOKIE_SECURE"] is False and served["CSRF_COOKIE_SECURE"] is False
    assert served["SECURE_SSL_REDIRECT"] is False and served["SECURE_HSTS_SECONDS"] == 0


def test_outside_debug_cookies_are_secure_by_default():
    served = _settings(DEBUG="false", PUBLIC_BASE_URL="https://leads.example.com")

    assert served["SESSION_COOKIE_SECURE"] is True and served["CSRF_COOKIE_SECURE"] is True


def test_with_debug_on_cookies_stay_plain():
    served = _settings(DEBUG="true", PUBLIC_BASE_URL="https://leads.example.com")

    assert served["SESSION_COOKIE_SECURE"] is False


def test_behind_a_tls_proxy_http_is_redirected_and_hsts_sent_with_subdomains_and_preload():
    served = _settings(DEBUG="false", PUBLIC_BASE_URL="https://leads.example.com", BEHIND_TLS_PROXY="true")

    assert served["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert served["SECURE_SSL_REDIRECT"] is True
    assert served["SECURE_HSTS_SECONDS"] >= 31536000
    assert served["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and served["SECURE_HSTS_PRELOAD"] is True


def _readme_production_environment() -> dict[str, str]:
    """The `export` lines of README.md's "Production" section, placeholders made real-looking."""
    section = (ROOT / "README.md").read_text().split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    exported: dict[str, str] = {}
    for line in re.findall(r"^export (.+)$", section, re.MULTILINE):
        for assignment in line.split("#", 1)[0].split():
            name, value = assignment.split("=", 1)
            exported[name] = value
    assert exported["DEBUG"] == "false" and exported["BEHIND_TLS_PROXY"] == "true"
    exported["SECRET_KEY"] = secrets.token_urlsafe(50)
    exported["ENCRYPTION_KEYS"] = "k2026a:" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    return exported


def test_check_deploy_passes_with_the_production_settings_of_the_readme(tmp_path):
    env = _readme_production_environment()
    # PostgreSQL and Redis are not running here; `check --deploy` needs neither, so the embedded
    # defaults stand in for them (in a folder of this test's own).
    env.update(
        DATABASE_URL="", CELERY_BROKER_URL="", CACHE_URL="", RATE_LIMIT_STORAGE_URL="", VAR_DIR=str(tmp_path)
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.base", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_sentry_sends_neither_frame_locals_nor_personal_data_nor_request_bodies():
    code = (
        "import json, sentry_sdk; options = sentry_sdk.get_client().options; "
        "print(json.dumps({k: options[k] for k in "
        "('dsn', 'include_local_variables', 'send_default_pii', 'max_request_body_size')}))"
    )
    dsn = "https://public@sentry.example.invalid/1"

    result = _django_setup({**KEYS, "DEBUG": "true", "SENTRY_DSN": dsn}, code=code)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "dsn": dsn,
        "include_local_variables": False,
        "send_default_pii": False,
        "max_request_body_size": "never",
    }


@pytest.mark.django_db
def test_the_https_redirect_spares_the_health_check_that_probes_use_over_http(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # after the override: the middleware reads the setting when it is built

    assert client.get("/admin/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
