"""The encryption keyring: several AES-256 keys from the environment; the newest encrypts, all decrypt."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Keyring:
    """Keys by id, in setting order: the first one is the primary (encrypting) key."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def primary_id(self) -> str:
        return self.keys[0][0]

    @property
    def primary_key(self) -> bytes:
        return self.keys[0][1]

    def key(self, key_id: str) -> bytes | None:
        return dict(self.keys).get(key_id)

    def __repr__(self) -> str:  # never print key material
        return f"Keyring(ids={[key_id for key_id, _ in self.keys]})"


def parse_keyring(entries: list[str] | tuple[str, ...]) -> Keyring:
    """Parse ``["id:base64url(32 bytes)", ...]``; errors name the entry, never its key."""
    if not entries:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS is empty: set it to 'key_id:base64key' (manage.py generate_encryption_key)."
        )
    parsed: list[tuple[str, bytes]] = []
    for position, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.strip().partition(":")
        if not sep or not KEY_ID_PATTERN.match(key_id):
            raise ImproperlyConfigured(
                f"ENCRYPTION_KEYS entry #{position} must look like 'key_id:base64key'."
            )
        try:
            material = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS key '{key_id}' is not valid base64.") from None
        if len(material) != 32:
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS key '{key_id}' must be 32 bytes (AES-256).")
        if any(existing == key_id for existing, _ in parsed):
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS has key id '{key_id}' twice.")
        parsed.append((key_id, material))
    return Keyring(keys=tuple(parsed))


@functools.lru_cache(maxsize=4)
def _cached_keyring(entries: tuple[str, ...]) -> Keyring:
    return parse_keyring(entries)


def get_keyring() -> Keyring:
    """The keyring for the current settings (re-read when the setting changes, e.g. in tests)."""
    return _cached_keyring(tuple(settings.ENCRYPTION_KEYS))
