"""gunicorn's access log with secrets masked: the Procfile and the benchmarks' web server start
gunicorn with ``--logger-class config.gunicorn_logging.RedactingLogger``.

A CRM workflow action may put its API key in the query string, and the request line, the query
string and the referrer would carry it into the access log. The same masking as stored URLs
(crm_integrations/core/redaction.py) is applied to them; credential headers never appear.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from crm_integrations.core.redaction import MASK, SECRET_NAMES, redact_text, redact_url

_URL_ATOMS = ("r", "q", "f")


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in _URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = _redact(name, atoms[name])
        for name in list(atoms):
            if name.startswith("{") and SECRET_NAMES.search(name):
                atoms[name] = MASK
        return atoms


def _redact(atom: str, value: str) -> str:
    if atom == "q":
        return redact_url(f"?{value}")[1:] if value else value
    if atom == "r":
        method, _, rest = value.partition(" ")
        uri, _, protocol = rest.rpartition(" ")
        return f"{method} {redact_url(uri)} {protocol}" if uri else redact_text(value)
    return redact_url(value)
