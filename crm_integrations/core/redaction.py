"""Masking of credentials in text: used by the logging filter, call records and error messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "[redacted]"

SECRET_NAMES = re.compile(
    r"(access[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|api[_-]?key|apikey|"
    r"password|secret|authorization|code[_-]?verifier|signature|token)",
    re.IGNORECASE,
)

_PATTERNS = [
    # Authorization: Bearer xyz  /  bearer xyz
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    # key=value in query strings and form bodies
    (
        re.compile(
            r"(?i)\b([\w.-]*(?:token|secret|signature|password|api[_-]?key|apikey)[\w.-]*|code_verifier)"
            r"=[^&\s\"']+"
        ),
        r"\1=" + MASK,
    ),
    # an OAuth authorization code (code=na1-2f0c...), but not our error codes (code=rate_limited)
    (re.compile(r"(?i)\bcode=(?![a-z_]{1,40}(?:[&\s\"',)]|$))[^&\s\"']+"), "code=" + MASK),
    # "key": "value" in JSON
    (
        re.compile(
            r"(?i)(\"(?:access|refresh|id)_token\"|\"client_secret\"|\"api_key\"|\"password\"|\"token\")"
            r"\s*:\s*\"[^\"]*\""
        ),
        r'\1: "' + MASK + '"',
    ),
    # credentials in a URL's userinfo: redis://user:password@host, postgres://user:pw@db
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@]+@"), r"\1" + MASK + "@"),
    # our own envelopes never need to be read by a person either
    (re.compile(r"enc1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_=-]+"), MASK),
]


#: Query parameters whose values are masked in stored, shown and logged URLs: anything named like a
#: key, token, secret, signature or password (a workflow action may put its API key in the URL).
SECRET_PARAMETER = re.compile(r"(key|token|secret|signature|password|passwd|auth|code)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with the value of every secret-sounding query parameter masked (names kept)."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    if not query:
        return url
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [(name, MASK if SECRET_PARAMETER.search(name) else value) for name, value in pairs]
    return urlunsplit((scheme, netloc, path, urlencode(masked, safe="[]"), fragment))


def redact_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with every value under a secret-sounding key masked (recursively)."""
    redacted: dict[str, Any] = {}
    for key, value in data.items():
        if SECRET_NAMES.search(str(key)):
            redacted[key] = MASK
        elif isinstance(value, Mapping):
            redacted[key] = redact_mapping(value)
        elif isinstance(value, str):
            redacted[key] = redact_text(value)
        else:
            redacted[key] = value
    return redacted


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message so tokens and secrets never reach a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True
