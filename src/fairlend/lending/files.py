"""Repayment files: a payment processor's file of payments, applied set-based through the one waterfall.

`RepaymentFiles.import_file` reads the file twice, streaming, one line in
memory at a time. The first pass (no transaction) hashes it and finds the
problems of the whole file (`file_lines.PaymentLines.survey`): not UTF-8, a header
without the fields, no payment, too many lines; any of them refuses the file
and nothing is written. A file whose SHA-256 was taken in before is answered
with that import's result, and changes nothing.

The second pass is one transaction. It first locks the stored business date
(`FOR UPDATE`, the row end-of-day locks to close a date): end-of-day cannot
close the date halfway through a file, every line posts on the same business
date, and two files never apply at once (two files paying the same loans in
different orders could otherwise deadlock on PostgreSQL). Then, per chunk of
lines (`CHUNK`, `file_chunks.py`): one read of the lines' references already
applied (a duplicate), one read of their loans (locked, in id order) and two
of those loans' installments; every line planned in order through
`repayment_plan.plan_repayment`, the same function a single repayment goes
through, a loan paid twice planned from its state after the first; then each
table written once for the chunk (`repayment_writes.py`), the journal
entries queued on a `JournalBatch`, and the lines' results stored. A payment
into a charged-off loan is a recovery, booked by `recovery.recover` as a
single repayment books it. The journal's cached balances move once, last
(`JournalBatch.close`), as a single repayment's journal entry is its last
write. A line the loan refuses (settled by an earlier line, a prepayment the
product forbids) is refused with the same code a single repayment gets, and
leaves nothing.

Settling a loan publishes `lending.LoanSettled` in this transaction, so
collections stop in it (P-2), exactly as for a single repayment; the outbox
carries every event for the T+1 report and the market's distribution.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any, BinaryIO

from sqlalchemy import bindparam, insert, select, update

from fairlend.clock import PinnedDate
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.lending.file_chunks import ChunkApplier
from fairlend.lending.file_lines import (
    FileFormat,
    HashingReader,
    LineResult,
    LineStatus,
    PaymentLines,
    RepaymentFileView,
    read_raw,
)
from fairlend.lending.products import ProductCache
from fairlend.lending.tables import platform_business_date, repayment_file, repayment_file_line

# Lines per chunk: large enough that a chunk's reads and writes are a few statements over many
# rows, small enough that its loans' ids stay well inside every database's limit on parameters.
CHUNK = 2000
RESULTS_PAGE = 5000

_LOCK_DAY = select(platform_business_date.c.business_date).where(platform_business_date.c.id == 1).with_for_update()
_BY_HASH = select(repayment_file).where(repayment_file.c.sha256 == bindparam("sha256"))
_BY_ID = select(repayment_file).where(repayment_file.c.id == bindparam("file_id"))
_PAGE = (
    select(repayment_file_line)
    .where(repayment_file_line.c.file_id == bindparam("file_id"), repayment_file_line.c.line > bindparam("after"))
    .order_by(repayment_file_line.c.line)
    .limit(RESULTS_PAGE)
)


class RepaymentFiles:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile, product_cache: ProductCache) -> None:
        self._uow = uow
        self._profile = profile
        self._products = product_cache

    def import_file(self, stream: BinaryIO, *, name: str, imported_by: str) -> RepaymentFileView:
        """Apply a repayment file (seekable: it is read twice); the same content again changes nothing."""
        survey = HashingReader(stream)
        surveyed = PaymentLines(read_raw(survey), self._profile.currency)
        surveyed.survey()
        sha256 = survey.hexdigest()
        known = self._by_hash(sha256)
        if known is not None:
            return known
        stream.seek(0)
        reader = HashingReader(stream)
        with self._uow() as uow:
            self._lock_day(uow)
            # Taken in by another import while this one waited for the lock: its answer is this one's.
            row = uow.conn.execute(_BY_HASH, {"sha256": sha256}).first()
            if row is not None:
                return _view(row, already_imported=True)
            file_id = new_id("rpf")
            today = uow.clock.business_date()
            uow.conn.execute(
                insert(repayment_file).values(
                    id=file_id,
                    sha256=sha256,
                    name=name[:200],
                    format=surveyed.format.value,
                    business_date=today,
                    lines=surveyed.count,
                    applied=0,
                    duplicates=0,
                    refused=0,
                    totals={},
                    imported_by=imported_by[:40],
                    received_at=uow.clock.now(),
                )
            )
            applier = ChunkApplier(uow, file_id, self._profile, self._products)
            parsed = iter(PaymentLines(read_raw(reader), self._profile.currency))
            while chunk := list(islice(parsed, CHUNK)):
                applier.apply(chunk)
            if reader.hexdigest() != sha256:
                raise Conflict("file_changed", "the file changed while it was being read; send it again")
            applier.journal.close()
            uow.conn.execute(
                update(repayment_file)
                .where(repayment_file.c.id == file_id)
                .values(
                    applied=applier.counts[LineStatus.APPLIED],
                    duplicates=applier.counts[LineStatus.DUPLICATE],
                    refused=applier.counts[LineStatus.REFUSED],
                    totals=applier.totals,
                )
            )
            row = uow.conn.execute(_BY_ID, {"file_id": file_id}).one()
            uow.commit()
        return _view(row)

    def get(self, file_id: str) -> RepaymentFileView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(_BY_ID, {"file_id": file_id}).first()
        if row is None:
            raise NotFound("repayment_file_not_found", f"no repayment file {file_id}")
        return _view(row)

    def results(self, file_id: str) -> Iterator[LineResult]:
        """Every line's result in line order, read a page at a time (each page its own short read)."""
        self.get(file_id)
        after = 0
        while True:
            with self._uow(read_only=True) as uow:
                rows = uow.conn.execute(_PAGE, {"file_id": file_id, "after": after}).all()
            for r in rows:
                yield LineResult(
                    r.line,
                    LineStatus(r.status),
                    r.code,
                    r.detail,
                    r.loan_id,
                    r.amount_minor,
                    r.currency,
                    r.value_date,
                    r.external_reference,
                    r.repayment_id,
                )
            if len(rows) < RESULTS_PAGE:
                return
            after = rows[-1].line

    def _by_hash(self, sha256: str) -> RepaymentFileView | None:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(_BY_HASH, {"sha256": sha256}).first()
        return None if row is None else _view(row, already_imported=True)

    def _lock_day(self, uow: UnitOfWork) -> None:
        """Hold the stored business date for the file's transaction, and post on it (see the module's doc)."""
        stored = uow.conn.execute(_LOCK_DAY).scalar()
        if stored is not None and stored > uow.clock.business_date():
            uow.clock = PinnedDate(uow.clock, stored)


def _view(row: Any, *, already_imported: bool = False) -> RepaymentFileView:
    return RepaymentFileView(
        file_id=row.id,
        sha256=row.sha256,
        name=row.name,
        format=FileFormat(row.format),
        business_date=row.business_date,
        lines=row.lines,
        applied=row.applied,
        duplicates=row.duplicates,
        refused=row.refused,
        totals={str(k): int(v) for k, v in dict(row.totals).items()},
        imported_by=row.imported_by,
        received_at=row.received_at,
        already_imported=already_imported,
    )
