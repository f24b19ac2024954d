"""Key rotation and the `fairlend verify` check for personal data.

Rotation re-encrypts, under the first key of `FAIRLEND_PII_KEYS`, every value
still under an older key; after it reports zero left, the old key can be
removed from the settings. The check decrypts every value and recomputes its
blind index, so a lost key or a wrong index key is found before a customer is.
"""

from __future__ import annotations

from sqlalchemy import Table, select, update

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
            files = uow.conn.execute(select(identity_certificate_file)).all()
            current = self._vault.current_key_id
            for blob in files:
                if blob.key_id == current:
                    continue
                purpose = "certificate:" + blob.certificate_id
                content = self._vault.decrypt_bytes(blob.key_id, bytes(blob.content), purpose)
                uow.conn.execute(
                    update(identity_certificate_file)
                    .where(identity_certificate_file.c.person_id == blob.person_id)
                    .where(identity_certificate_file.c.certificate_id == blob.certificate_id)
                    .values(key_id=current, content=self._vault.encrypt_bytes(content, purpose))
                )
                rewritten += 1
            uow.commit()
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
        return found
