"""Which deal files a contract takes: size and type limits from settings, and content that matches
its type (a program renamed ``.pdf`` is refused). Pure functions: no database, no network."""

from __future__ import annotations

from django.conf import settings

#: How files of these types start; a file that claims the type must start so.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/msword": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.text": (b"PK\x03\x04",),
}


#: What staff call the file types a contract may take (the reasons on the contract's page name these,
#: not MIME codes; the allowed list itself is the ``CONTRACT_FILE_TYPES`` setting, docs/operations.md).
_TYPE_NAMES: dict[str, str] = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "application/msword": "Word document (.doc)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document (.docx)",
    "application/vnd.oasis.opendocument.text": "OpenDocument text (.odt)",
    "text/plain": "plain text",
    "application/x-msdownload": "Windows program",
    "application/zip": "ZIP archive",
    "application/octet-stream": "unidentified binary file",
}


def type_name(content_type: str) -> str:
    """A file type as staff read it: "Windows program", or the MIME type when we have no name for it."""
    if not content_type:
        return "a file of unknown type"
    return _TYPE_NAMES.get(content_type, content_type)


def declared_refusal(content_type: str, size: int | None) -> str:
    """Why a file is refused before downloading it ("" when it may be downloaded)."""
    if content_type not in settings.CONTRACT_FILE_TYPES:
        allowed = ", ".join(type_name(allowed) for allowed in settings.CONTRACT_FILE_TYPES)
        return f"Not accepted for contracts: {type_name(content_type)}. Contracts accept {allowed}."
    if size is not None and size > settings.CONTRACT_FILE_MAX_BYTES:
        return too_large(size)
    return ""


def _size(size: int) -> str:
    """A byte count as people say it: "1,001 bytes", "12.5 KB", "12.0 MB"."""
    if size < 1024 * 10:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / (1024 * 1024):,.1f} MB"


def too_large(size: int | None = None) -> str:
    limit = f"the {_size(settings.CONTRACT_FILE_MAX_BYTES)} a contract file may have"
    return f"{_size(size)} is more than {limit}" if size is not None else f"larger than {limit}"


def content_refusal(content_type: str, content: bytes) -> str:
    """Why downloaded bytes are refused ("" when they are what the type says)."""
    if len(content) > settings.CONTRACT_FILE_MAX_BYTES:
        return too_large(len(content))
    magic = _MAGIC.get(content_type)
    if magic and not content.startswith(magic):
        return f"the file says it is a {type_name(content_type)} but its content is not one"
    if content_type == "text/plain" and b"\x00" in content[:8192]:
        return "the file says it is plain text but it holds binary data"
    return ""
