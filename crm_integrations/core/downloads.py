"""File downloads from a CRM, shared by the providers: a file's type from its name, and a body read
under a size cap (streamed, so an oversize file is stopped early and never held whole).

Used for the files attached to deals (crm_integrations/hubspot/files.py, crm_integrations/salesforce/
files.py); the limits themselves are the contract workflow's (contracts/file_rules.py).
"""

from __future__ import annotations

import mimetypes

import requests

from .errors import InvalidRequest, ProviderUnavailable

CHUNK_BYTES = 64 * 1024
#: File types from the extension, the same on every machine (the system's mime.types is not read).
_TYPES = mimetypes.MimeTypes(filenames=())
for _extension, _type in {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
}.items():
    _TYPES.add_type(_type, _extension)


def content_type(name: str) -> str:
    """The MIME type of a file name's extension; ``application/octet-stream`` when unknown."""
    return _TYPES.guess_type(name, strict=False)[0] or "application/octet-stream"


def too_large(max_bytes: int) -> InvalidRequest:
    return InvalidRequest(f"The file is larger than the {max_bytes:,} bytes allowed.", code="file_too_large")


def read_limited(response: requests.Response, max_bytes: int) -> bytes:
    """The body of a streamed response; ``InvalidRequest(code="file_too_large")`` past ``max_bytes``
    (before reading a byte when ``Content-Length`` says so), ``ProviderUnavailable`` when it breaks off."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    received = bytearray()
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            received.extend(chunk)
            if len(received) > max_bytes:
                raise too_large(max_bytes)
    except requests.RequestException as exc:
        raise ProviderUnavailable(
            f"The file download broke off: {type(exc).__name__}", retry_after=5, code="connection_error"
        ) from exc
    return bytes(received)
