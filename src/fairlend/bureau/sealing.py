"""The bureau's own seal on personal data at rest: AES-256-GCM under keys of its own.

The bureau is another institution, so it shares no key with the platform: its
keys are derived from the platform's PII keys (`derive_seal_keys`, one per key
id, as `derive_blind_key` derives its blind-index key), and nothing here
imports identity. A sealed row carries the key id in its own `key_id`
column and each sealed column holds `nonce || ciphertext` (base64 in text
columns). The associated data names the table, the column and the row, so a
value cannot be moved to another row or column unnoticed.

`key_id` is `""` only on rows stored before `bureau_0002`, which kept these
values in clear: they are opened as they are, sealed by the next rotation,
and reported by `fairlend verify` until then.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
CLEAR = ""  # the key id of a value stored before sealing existed
_LABEL = b"fairlend.bureau.seal.v1"


class SealError(Exception):
    """A key is missing or a sealed value was tampered with: an operations fault, never the caller's."""


def derive_seal_keys(platform_keys: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The bureau's AES-256 keys, one per platform key id, first one seals."""
    return [(kid, hmac.new(key, _LABEL, hashlib.sha256).digest()) for kid, key in platform_keys]


def purpose(table: str, column: str, row_id: str) -> str:
    """The associated data of one stored value: where it lives."""
    return f"{table}.{column}:{row_id}"


class BureauSealer:
    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise SealError("the bureau has no sealing key")
        if any(not kid or len(key) != 32 for kid, key in keys):
            raise SealError("each bureau key needs an id and 32 bytes")
        self._current = keys[0][0]
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}

    @classmethod
    def derived_from(cls, platform_keys: Sequence[tuple[str, bytes]]) -> BureauSealer:
        return cls(derive_seal_keys(platform_keys))

    @property
    def key_id(self) -> str:
        """The key new values are sealed under."""
        return self._current

    def seal(self, plaintext: bytes, where: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._ciphers[self._current].encrypt(nonce, plaintext, where.encode())

    def open(self, key_id: str, sealed: bytes, where: str) -> bytes:
        if key_id == CLEAR:
            return sealed
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SealError(f"no bureau key with id {key_id!r} is configured; keep retired keys until rotation ends")
        try:
            return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], where.encode())
        except InvalidTag as exc:
            raise SealError("a sealed bureau value failed authentication") from exc

    def seal_text(self, text: str, where: str) -> str:
        return base64.b64encode(self.seal(text.encode(), where)).decode()

    def open_text(self, key_id: str, sealed: str, where: str) -> str:
        if key_id == CLEAR:
            return sealed
        try:
            raw = base64.b64decode(sealed, validate=True)
        except binascii.Error as exc:
            raise SealError("a sealed bureau value is not base64") from exc
        return self.open(key_id, raw, where).decode()
