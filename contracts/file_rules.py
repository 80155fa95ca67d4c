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


def declared_refusal(content_type: str, size: int | None) -> str:
    """Why a file is refused before downloading it ("" when it may be downloaded)."""
    if content_type not in settings.CONTRACT_FILE_TYPES:
        return f"{content_type or 'an unknown type'} is not an allowed file type (CONTRACT_FILE_TYPES)"
    if size is not None and size > settings.CONTRACT_FILE_MAX_BYTES:
        return too_large(size)
    return ""


def too_large(size: int | None = None) -> str:
    limit = f"the {settings.CONTRACT_FILE_MAX_BYTES:,} bytes allowed (CONTRACT_FILE_MAX_BYTES)"
    return f"{size:,} bytes is over {limit}" if size is not None else f"larger than {limit}"


def content_refusal(content_type: str, content: bytes) -> str:
    """Why downloaded bytes are refused ("" when they are what the type says)."""
    if len(content) > settings.CONTRACT_FILE_MAX_BYTES:
        return too_large(len(content))
    magic = _MAGIC.get(content_type)
    if magic and not content.startswith(magic):
        return f"the content is not {content_type}: it does not start as such a file does"
    if content_type == "text/plain" and b"\x00" in content[:8192]:
        return "the content is not text/plain: it holds binary data"
    return ""
