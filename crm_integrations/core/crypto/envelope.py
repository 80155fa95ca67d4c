"""AES-256-GCM envelopes for values at rest.

A stored value is ``enc1$<key id>$<base64url(nonce || ciphertext || tag)>``: a fresh 96-bit
random nonce per value, the key id so that any key of the keyring can open it, and associated
data that binds the value to its row and field, so a ciphertext copied elsewhere fails.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keyring import Keyring, get_keyring

PREFIX = "enc1"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value could not be opened: tampered, truncated, bound to another row, or unknown key."""


def associated_data(table: str, row_id: object, field: str) -> bytes:
    return f"{table}\x1f{row_id}\x1f{field}".encode()


def is_envelope(value: str) -> bool:
    return value.startswith(PREFIX + "$")


def key_id_of(value: str) -> str:
    return value.split("$", 2)[1]


def envelope_prefix(key_id: str) -> str:
    """What every value encrypted under ``key_id`` starts with (for rotation queries)."""
    return f"{PREFIX}${key_id}$"


def encrypt(plaintext: str, *, aad: bytes, keyring: Keyring | None = None) -> str:
    keyring = keyring or get_keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.primary_key).encrypt(nonce, plaintext.encode(), aad)
    return envelope_prefix(keyring.primary_id) + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(value: str, *, aad: bytes, where: str, keyring: Keyring | None = None) -> str:
    """Open an envelope; ``where`` names the row and field in the error, never the value."""
    keyring = keyring or get_keyring()
    parts = value.split("$", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError(f"{where}: the stored value is not an encrypted envelope.")
    key_id, encoded = parts[1], parts[2]
    key = keyring.key(key_id)
    if key is None:
        raise DecryptionError(f"{where}: encrypted with key '{key_id}', which is not in ENCRYPTION_KEYS.")
    try:
        blob = base64.urlsafe_b64decode(encoded.encode())
    except (binascii.Error, ValueError):
        raise DecryptionError(f"{where}: the stored value is damaged (not base64).") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"{where}: the stored value is truncated.")
    try:
        plaintext = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError(
            f"{where}: authentication failed (the value was tampered with, truncated, "
            "or copied from another row or field)."
        ) from None
    return plaintext.decode()


def reencrypt(value: str, *, aad: bytes, where: str, keyring: Keyring | None = None) -> str:
    keyring = keyring or get_keyring()
    return encrypt(decrypt(value, aad=aad, where=where, keyring=keyring), aad=aad, keyring=keyring)
