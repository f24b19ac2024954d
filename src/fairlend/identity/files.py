"""Personal files other contexts keep (hardship's evidence): the certificate checks, the vault, the audit.

A file another context stores about a person gets what a certificate gets:
the same type and size checks (checks.py: at most 10 MB, PDF, JPEG or PNG by
its magic bytes, a name or declared type that disagrees refused), the same
AES-GCM sealing under the current PII key with the purpose bound to the file
(so one file's blob cannot be served as another's), and an `identity_audit`
row for every view in clear, in the reader's own transaction. Those contexts
reach this through a port of their own (hardship.ports.EvidenceVault):
identity imports none of them, and they import no identity code.
"""

from __future__ import annotations

from fairlend.db.uow import UnitOfWork
from fairlend.identity import audit
from fairlend.identity.checks import check_claimed_type, sniff_content_type
from fairlend.identity.pii import PiiVault, VaultError


class PersonalFiles:
    def __init__(self, vault: PiiVault) -> None:
        self._vault = vault

    @property
    def current_key_id(self) -> str:
        return self._vault.current_key_id

    def check(self, content: bytes, claimed_type: str | None, filename: str | None) -> str:
        """The file's real content type; `file_too_large`, `file_empty`, `file_type_mismatch` otherwise."""
        content_type = sniff_content_type(content)
        check_claimed_type(content_type, claimed_type, filename)
        return content_type

    def seal(self, content: bytes, purpose: str) -> bytes:
        """Sealed under `current_key_id`; store that id beside the blob."""
        return self._vault.encrypt_bytes(content, purpose)

    def open(self, key_id: str, blob: bytes, purpose: str) -> bytes | None:
        """The file, or None when no configured key opens it (a retired key, a tampered blob)."""
        try:
            return self._vault.decrypt_bytes(key_id, blob, purpose)
        except (VaultError, ValueError):
            return None

    def record_view(
        self, uow: UnitOfWork, *, actor_id: str, actor_role: str, person_id: str, fields: str, purpose: str
    ) -> None:
        """Who saw whose file and why: a row of the person's audit chain, committed with the view."""
        audit.record(uow, actor_id=actor_id, actor_role=actor_role, person_id=person_id, fields=fields, purpose=purpose)
