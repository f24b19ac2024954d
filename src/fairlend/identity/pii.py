"""The personal-data vault: encryption at rest, blind indexes, key rotation.

Ciphertexts are `kid:base64(nonce || AES-256-GCM ciphertext)`. The key id
travels with the value, so a new key can be put first in `FAIRLEND_PII_KEYS`
(it encrypts from then on) while the old ones stay listed (they still
decrypt) until `rotate` has re-encrypted every value. The associated data binds
a ciphertext to its purpose ("phone", "id_number", ...) so a value cannot be
moved from one column to another unnoticed.

A blind index is HMAC-SHA256 under a separate key: equal inputs give equal
indexes (uniqueness, look-up by phone), and without the key nothing about the
input can be learnt or brute-forced offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class VaultError(Exception):
    """A key is missing or a ciphertext was tampered with: an operations fault, never the caller's."""


def parse_keys(spec: str) -> list[tuple[str, bytes]]:
    """`"k2:base64,k1:base64"` -> [(kid, 32-byte key)], first one encrypts."""
    keys: list[tuple[str, bytes]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        kid, sep, encoded = part.partition(":")
        if not sep or not kid or ":" in kid:
            raise VaultError("each PII key is written kid:base64key")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise VaultError(f"PII key {kid!r} is not base64") from exc
        if len(key) != 32:
            raise VaultError(f"PII key {kid!r} must be 32 bytes (AES-256), got {len(key)}")
        keys.append((kid, key))
    if not keys:
        raise VaultError("no PII key configured")
    if len({kid for kid, _ in keys}) != len(keys):
        raise VaultError("PII key ids must be unique")
    return keys


class PiiVault:
    def __init__(self, keys: str, blind_index_key: str) -> None:
        parsed = parse_keys(keys)
        self._current_kid = parsed[0][0]
        self._ciphers = {kid: AESGCM(key) for kid, key in parsed}
        self._index_key = blind_index_key.encode()

    @property
    def current_key_id(self) -> str:
        return self._current_kid

    def encrypt(self, plaintext: str, purpose: str) -> str:
        return self._current_kid + ":" + base64.b64encode(self.encrypt_bytes(plaintext.encode(), purpose)).decode()

    def decrypt(self, ciphertext: str, purpose: str) -> str:
        kid, _, body = ciphertext.partition(":")
        return self._open(kid, base64.b64decode(body), purpose).decode()

    def encrypt_bytes(self, plaintext: bytes, purpose: str) -> bytes:
        """Raw form for blobs: nonce || ciphertext; the key id goes in its own column."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._ciphers[self._current_kid].encrypt(nonce, plaintext, purpose.encode())

    def decrypt_bytes(self, kid: str, blob: bytes, purpose: str) -> bytes:
        return self._open(kid, blob, purpose)

    def _open(self, kid: str, blob: bytes, purpose: str) -> bytes:
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise VaultError(f"no PII key with id {kid!r} is configured; keep retired keys until rotation ends")
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], purpose.encode())
        except InvalidTag as exc:
            raise VaultError("a personal-data ciphertext failed authentication") from exc

    def needs_rotation(self, ciphertext: str) -> bool:
        return not ciphertext.startswith(self._current_kid + ":")

    def rotate(self, ciphertext: str, purpose: str) -> str:
        """The value re-encrypted under the current key (unchanged if it already is)."""
        if not self.needs_rotation(ciphertext):
            return ciphertext
        return self.encrypt(self.decrypt(ciphertext, purpose), purpose)

    def blind_index(self, value: str, purpose: str) -> str:
        return hmac.new(self._index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def keyed_hash(self, *parts: str) -> str:
        """A keyed hash for secrets the platform must check but never read back (one-time codes)."""
        return hmac.new(self._index_key, "\x00".join(("secret", *parts)).encode(), hashlib.sha256).hexdigest()
