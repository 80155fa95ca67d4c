"""The Content-Security-Policy (django-csp, config/settings/base.py) and templates it does not break.

The browser tests (tests/conftest.py's ``page`` fixture) fail on any violation a page reports;
this scan also catches inline script in templates no browser test opens.
"""

import re
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE_FOLDERS = [ROOT / "templates", *ROOT.glob("*/templates")]
# <script> without src (a JSON data block from |json_script is not run, so it may stay inline).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def test_pages_carry_a_policy_that_runs_only_our_own_scripts(client):
    policy = client.get(reverse("admin:login"))["Content-Security-Policy"]

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


def test_no_template_has_inline_script_event_handlers_or_script_urls():
    templates = [path for folder in TEMPLATE_FOLDERS for path in folder.rglob("*.html")]
    assert len(templates) > 10, "template folders not found"
    found = [
        f"{path.relative_to(ROOT)}: {pattern.pattern}"
        for path in templates
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, SCRIPT_URL)
        if pattern.search(path.read_text())
    ]
    assert found == []
