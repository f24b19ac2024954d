"""Evidence with a request: the borrower's files, checked and sealed as identity's certificates are.

A file goes through the `EvidenceVault` port (identity's `PersonalFiles`):
the certificate checks (size, type by magic bytes, a name or declared type
that disagrees refused) before any transaction opens, then the sealed blob
and its row in one transaction with the request locked as it is read. A file
is never required: a request stands on its reason category, and a reason may
be illness, so nothing here asks what a file shows. An operator's read of a
file is audited in identity's personal-data log (who, whose, which file,
when), in the same transaction that opens it: no audit row, no file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, func, insert, select, tuple_, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, NotFound
from fairlend.hardship import records
from fairlend.hardship.events import EvidenceAdded
from fairlend.hardship.ports import EvidenceVault
from fairlend.hardship.tables import hardship_evidence
from fairlend.hardship.views import EvidenceFile, EvidenceView
from fairlend.ids import new_id

MAX_FILES_PER_REQUEST = 5
AUDIT_FIELDS = "hardship_evidence"
PURPOSE = "hardship.evidence:"  # + the file's id: a blob opens only as the file it was sealed as
BATCH = 50  # files per transaction when rotating keys: each may be megabytes


class HardshipEvidence:
    def __init__(self, uow: UnitOfWorkFactory, vault: EvidenceVault | None) -> None:
        self._uow = uow
        self._vault = vault

    def _files(self) -> EvidenceVault:
        if self._vault is None:
            raise Conflict("evidence_unavailable", "evidence files are not configured here")
        return self._vault

    def upload(
        self,
        borrower_id: str,
        request_id: str,
        content: bytes,
        *,
        claimed_type: str | None = None,
        filename: str | None = None,
    ) -> EvidenceView:
        """Add a file to one's own open request (at most MAX_FILES_PER_REQUEST)."""
        vault = self._files()
        content_type = vault.check(content, claimed_type, filename)
        evidence_id = new_id("hev")
        with self._uow() as uow:
            row = records.request_row(uow, request_id)
            if row.borrower_id != borrower_id:
                raise NotFound("request_not_found", f"no request {request_id}")
            records.lock_request(uow, row)
            if row.status not in records.OPEN:
                raise Conflict("request_closed", f"request {request_id} is {row.status}: files go with an open one")
            if _count(uow, borrower_id, request_id) >= MAX_FILES_PER_REQUEST:
                raise Conflict("too_many_evidence_files", f"a request takes at most {MAX_FILES_PER_REQUEST} files")
            uow.conn.execute(
                insert(hardship_evidence).values(
                    borrower_id=borrower_id,
                    id=evidence_id,
                    request_id=request_id,
                    content_type=content_type,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    key_id=vault.current_key_id,
                    content=vault.seal(content, PURPOSE + evidence_id),
                    uploaded_at=uow.clock.now(),
                )
            )
            today = uow.clock.business_date()
            uow.publish(
                EvidenceAdded(evidence_id, request_id, row.loan_id, borrower_id, content_type, len(content), today)
            )
            view = _view(_row(uow, evidence_id))
            uow.commit()
        return view

    def list_for(self, request_id: str, *, borrower_id: str | None = None) -> list[EvidenceView]:
        """A request's files (what they are, not what they say); a borrower sees only their own."""
        with self._uow(read_only=True) as uow:
            row = records.request_row(uow, request_id)
            if borrower_id is not None and row.borrower_id != borrower_id:
                raise NotFound("request_not_found", f"no request {request_id}")
            return records.evidence_of(uow, row.borrower_id, request_id)

    def read(self, evidence_id: str, *, actor_id: str, actor_role: str) -> EvidenceFile:
        """An operator opens a file: the audit row (who, whose, which, when) commits with the reading."""
        vault = self._files()
        with self._uow() as uow:
            row = _row(uow, evidence_id)
            content = vault.open(row.key_id, bytes(row.content), PURPOSE + evidence_id)
            if content is None:
                raise Conflict("evidence_unreadable", f"no configured key opens evidence {evidence_id}")
            vault.record_view(
                uow,
                actor_id=actor_id,
                actor_role=actor_role,
                person_id=row.borrower_id,
                fields=AUDIT_FIELDS,
                # identity_audit.purpose holds 60 characters: the file's id names its request.
                purpose=f"hardship evidence {evidence_id}",
            )
            uow.commit()
        return EvidenceFile(_view(row), content)

    def reseal(self) -> int:
        """Re-encrypt every file still under an older key (`fairlend users rotate-pii-keys`), a batch at a time."""
        vault = self._files()
        current = vault.current_key_id
        rewritten = 0
        for batch in self._batches(stale_for=current):
            with self._uow() as uow:
                for blob in batch:
                    purpose = PURPOSE + blob.id
                    content = vault.open(blob.key_id, bytes(blob.content), purpose)
                    if content is None:
                        raise Conflict("evidence_unreadable", f"no configured key opens evidence {blob.id}")
                    uow.conn.execute(
                        update(hardship_evidence)
                        .where(hardship_evidence.c.borrower_id == blob.borrower_id, hardship_evidence.c.id == blob.id)
                        .values(key_id=current, content=vault.seal(content, purpose))
                    )
                    rewritten += 1
                uow.commit()
        return rewritten

    def unreadable(self) -> list[tuple[str, str]]:
        """(borrower/file, why) for every file no configured key opens: `fairlend verify`."""
        if self._vault is None:
            return []
        found = []
        for batch in self._batches():
            for blob in batch:
                if self._vault.open(blob.key_id, bytes(blob.content), PURPOSE + blob.id) is None:
                    found.append((f"{blob.borrower_id}/{blob.id}", "evidence file: no configured key opens it"))
        return found

    def _batches(self, *, stale_for: str | None = None) -> Iterator[list[Any]]:
        t = hardship_evidence
        after = ("", "")
        while True:
            query = select(t.c.borrower_id, t.c.id, t.c.key_id, t.c.content).where(
                tuple_(t.c.borrower_id, t.c.id) > tuple_(*after)
            )
            if stale_for is not None:
                query = query.where(t.c.key_id != stale_for)
            with self._uow(read_only=True) as uow:
                batch = list(uow.conn.execute(query.order_by(t.c.borrower_id, t.c.id).limit(BATCH)))
            if not batch:
                return
            yield batch
            after = (batch[-1].borrower_id, batch[-1].id)


def _count(uow: UnitOfWork, borrower_id: str, request_id: str) -> int:
    t = hardship_evidence
    found = uow.conn.execute(
        select(func.count()).select_from(t).where(t.c.borrower_id == borrower_id, t.c.request_id == request_id)
    ).scalar()
    return int(found or 0)


def _row(uow: UnitOfWork, evidence_id: str) -> Row[Any]:
    row = uow.conn.execute(select(hardship_evidence).where(hardship_evidence.c.id == evidence_id)).first()
    if row is None:
        raise NotFound("evidence_not_found", f"no evidence {evidence_id}")
    return row


def _view(row: Row[Any]) -> EvidenceView:
    return records.evidence_view(row)
