"""Key rotation and the `fairlend verify` check for personal data.

Rotation re-encrypts, under the first key of `FAIRLEND_PII_KEYS`, every value
still under an older key; after it reports zero left, the old key can be
removed from the settings. The check decrypts every value (certificate files
too) and recomputes its blind index, so a lost key or a wrong index key is
found before a customer is. Certificate files are read a batch at a time:
each may be megabytes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Table, select, tuple_, update

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.identity.model import KycLevel
from fairlend.identity.pii import PiiVault, VaultError
from fairlend.identity.tables import (
    identity_bank_card,
    identity_certificate_file,
    identity_kyc,
    identity_operator,
    identity_person,
)
from fairlend.ledger.service import Discrepancy

FILE_PURPOSE = "certificate:"  # + the certificate id: the associated data of a certificate file
FILE_BATCH = 50

# (table, key columns, ciphertext column, purpose, blind-index column or None)
CIPHER_COLUMNS: tuple[tuple[Table, tuple[str, ...], str, str, str | None], ...] = (
    (identity_person, ("id",), "phone_cipher", "phone", "phone_index"),
    (identity_person, ("id",), "name_cipher", "name", None),
    (identity_person, ("id",), "id_number_cipher", "id_number", "id_number_index"),
    (identity_bank_card, ("person_id", "id"), "card_cipher", "card", "card_index"),
    (identity_operator, ("id",), "totp_cipher", "totp", None),
)


class VaultMaintenance:
    def __init__(self, uow: UnitOfWorkFactory, vault: PiiVault) -> None:
        self._uow = uow
        self._vault = vault

    def rotate(self) -> int:
        """Re-encrypt every value under an older key; returns how many were rewritten."""
        rewritten = 0
        with self._uow() as uow:
            for table, keys, column, purpose, _ in CIPHER_COLUMNS:
                rows = uow.conn.execute(select(*[table.c[k] for k in keys], table.c[column])).all()
                for row in rows:
                    value = row[-1]
                    if value is None or not self._vault.needs_rotation(value):
                        continue
                    where = [table.c[k] == row[i] for i, k in enumerate(keys)]
                    uow.conn.execute(update(table).where(*where).values({column: self._vault.rotate(value, purpose)}))
                    rewritten += 1
            uow.commit()
        return rewritten + self._rotate_files()

    def _rotate_files(self) -> int:
        """Certificate files, a batch per transaction: each may be megabytes, so never all at once."""
        rewritten = 0
        current = self._vault.current_key_id
        after = ("", "")
        while True:
            with self._uow() as uow:
                blobs = _file_batch(uow.conn, after, stale_for=current)
                if not blobs:
                    break
                for blob in blobs:
                    purpose = FILE_PURPOSE + blob.certificate_id
                    content = self._vault.decrypt_bytes(blob.key_id, bytes(blob.content), purpose)
                    uow.conn.execute(
                        update(identity_certificate_file)
                        .where(identity_certificate_file.c.person_id == blob.person_id)
                        .where(identity_certificate_file.c.certificate_id == blob.certificate_id)
                        .values(key_id=current, content=self._vault.encrypt_bytes(content, purpose))
                    )
                    rewritten += 1
                uow.commit()
                after = (blobs[-1].person_id, blobs[-1].certificate_id)
        return rewritten

    def verify(self) -> list[Discrepancy]:
        found: list[Discrepancy] = []
        with self._uow(read_only=True) as uow:
            for table, keys, column, purpose, index in CIPHER_COLUMNS:
                columns = [table.c[k] for k in keys] + [table.c[column]] + ([table.c[index]] if index else [])
                for row in uow.conn.execute(select(*columns)):
                    subject = "/".join(str(row[i]) for i in range(len(keys)))
                    value = row[len(keys)]
                    if value is None:
                        continue
                    try:
                        clear = self._vault.decrypt(value, purpose)
                    except VaultError as exc:
                        found.append(Discrepancy("identity.decrypt", subject, f"{column}: {exc}"))
                        continue
                    if index and row[-1] != self._vault.blind_index(clear, purpose):
                        found.append(Discrepancy("identity.blind_index", subject, f"{index} does not match {column}"))
            phone_verified = {
                r.person_id
                for r in uow.conn.execute(
                    select(identity_kyc.c.person_id).where(identity_kyc.c.level == KycLevel.PHONE_VERIFIED.value)
                )
            }
            for person in uow.conn.execute(select(identity_person.c.id)):
                if person.id not in phone_verified:
                    found.append(Discrepancy("identity.kyc", person.id, "an account without a verified phone"))
        return found + self._verify_files()

    def _verify_files(self) -> list[Discrepancy]:
        found: list[Discrepancy] = []
        after = ("", "")
        while True:
            with self._uow(read_only=True) as uow:
                blobs = _file_batch(uow.conn, after)
            if not blobs:
                return found
            for blob in blobs:
                try:
                    self._vault.decrypt_bytes(blob.key_id, bytes(blob.content), FILE_PURPOSE + blob.certificate_id)
                except VaultError as exc:
                    subject = f"{blob.person_id}/{blob.certificate_id}"
                    found.append(Discrepancy("identity.decrypt", subject, f"certificate file: {exc}"))
            after = (blobs[-1].person_id, blobs[-1].certificate_id)


def _file_batch(conn: Connection, after: tuple[str, str], *, stale_for: str | None = None) -> list[Row[Any]]:
    """The next FILE_BATCH certificate files after `after` (person id, certificate id), in key order."""
    f = identity_certificate_file
    query = select(f).where(tuple_(f.c.person_id, f.c.certificate_id) > tuple_(*after))
    if stale_for is not None:
        query = query.where(f.c.key_id != stale_for)
    return list(conn.execute(query.order_by(f.c.person_id, f.c.certificate_id).limit(FILE_BATCH)))
