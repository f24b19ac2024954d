"""Repayment files: a payment processor's file of payments, applied set-based through the one waterfall.

`RepaymentFiles.import_file` reads the file twice, streaming, one line in
memory at a time. The first pass (no transaction) hashes it and finds the
problems of the whole file (`file_lines.read_lines`): not UTF-8, a header
without the fields, no payment, too many lines; any of them refuses the file
and nothing is written. A file whose SHA-256 was taken in before is answered
with that import's result, and changes nothing.

The second pass is one transaction. It first locks the stored business date
(`FOR UPDATE`, the row end-of-day locks to close a date): end-of-day cannot
close the date halfway through a file, every line posts on the same business
date, and two files never apply at once (two files paying the same loans in
different orders could otherwise deadlock on PostgreSQL). Then, per chunk of
lines (`CHUNK`): one read of the lines' references already applied (a
duplicate), one read of their loans (locked, in id order) and one of those
loans' open installments; every line planned in order through
`repayment_plan.plan_repayment`, the same function a single repayment goes
through, a loan paid twice planned from its state after the first; then each
table written once for the chunk (`write_loans`, `write_plans`), the journal
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
from datetime import date, datetime
from functools import partial
from itertools import islice
from typing import Any, BinaryIO

from sqlalchemy import Connection, bindparam, func, insert, select, update

from fairlend.clock import PinnedDate
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, DomainError, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.batch import JournalBatch
from fairlend.lending.file_lines import (
    FileFormat,
    FileLine,
    HashingReader,
    LineRefusal,
    LineResult,
    LineStatus,
    PaymentLines,
    RepaymentFileView,
    read_raw,
)
from fairlend.lending.model import RECOVERABLE_STATES, LoanState
from fairlend.lending.products import ProductCache, load_product
from fairlend.lending.recovery import recover
from fairlend.lending.repayment_plan import OpenLoan, RepaymentPlan, plan_repayment, write_loans, write_plans
from fairlend.lending.subledger import OPEN_INSTALLMENTS
from fairlend.lending.tables import loan, loan_installment, platform_business_date, repayment_file, repayment_file_line
from fairlend.money import Money

# Lines per chunk: large enough that a chunk's reads and writes are a few statements over many
# rows, small enough that its loans' ids stay well inside every database's limit on parameters.
CHUNK = 2000
RESULTS_PAGE = 5000

_LOCK_DAY = select(platform_business_date.c.business_date).where(platform_business_date.c.id == 1).with_for_update()
_BY_HASH = select(repayment_file).where(repayment_file.c.sha256 == bindparam("sha256"))
_BY_ID = select(repayment_file).where(repayment_file.c.id == bindparam("file_id"))
_APPLIED_REFERENCES = select(repayment_file_line.c.external_reference).where(
    repayment_file_line.c.status == LineStatus.APPLIED.value,
    repayment_file_line.c.external_reference.in_(bindparam("references", expanding=True)),
)
_LOANS = select(loan).where(loan.c.id.in_(bindparam("loan_ids", expanding=True))).order_by(loan.c.id).with_for_update()
# The borrowers first in each: the installments' primary key starts with the borrower.
_BILLED = (
    select(loan_installment)
    .where(
        loan_installment.c.borrower_id.in_(bindparam("borrower_ids", expanding=True)),
        loan_installment.c.loan_id.in_(bindparam("loan_ids", expanding=True)),
        loan_installment.c.billed.is_(True),
        loan_installment.c.paid_on.is_(None),
    )
    .order_by(loan_installment.c.loan_id, loan_installment.c.seq)
)
# Unbilled installments matter to a payment as the principal they carry; their rows are read
# only for a loan whose payment rebuilds them (a prepayment), one loan at a time.
_UNBILLED_PRINCIPAL = (
    select(
        loan_installment.c.loan_id,
        func.sum(loan_installment.c.principal - loan_installment.c.principal_paid),
    )
    .where(
        loan_installment.c.borrower_id.in_(bindparam("borrower_ids", expanding=True)),
        loan_installment.c.loan_id.in_(bindparam("loan_ids", expanding=True)),
        loan_installment.c.billed.is_(False),
    )
    .group_by(loan_installment.c.loan_id)
)
_INSERT_LINES = insert(repayment_file_line)
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
            applier = _Applier(uow, file_id, self._profile, self._products)
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


class _Applier:
    """One file's chunks, applied in order inside the file's transaction."""

    def __init__(self, uow: UnitOfWork, file_id: str, profile: Profile, products: ProductCache) -> None:
        self._uow = uow
        self._file_id = file_id
        self._profile = profile
        self._products = products
        self.journal = JournalBatch(uow)
        self.counts = dict.fromkeys(LineStatus, 0)
        self.totals: dict[str, int] = {}

    def apply(self, chunk: list[FileLine | LineRefusal]) -> None:
        uow, conn = self._uow, self._uow.conn
        today = uow.clock.business_date()
        now = uow.clock.now()
        payments = [line for line in chunk if isinstance(line, FileLine)]
        applied_before = (
            set(
                conn.execute(_APPLIED_REFERENCES, {"references": sorted({p.external_reference for p in payments})})
                .scalars()
                .all()
            )
            if payments
            else set()
        )
        rows = (
            {r.id: r for r in conn.execute(_LOANS, {"loan_ids": sorted({p.loan_id for p in payments})}).all()}
            if payments
            else {}
        )
        open_loans = self._open_loans([r for r in rows.values() if r.state == LoanState.ACTIVE.value])
        plans: list[RepaymentPlan] = []
        results: list[dict[str, Any]] = []
        for line in chunk:
            if isinstance(line, LineRefusal):
                results.append(
                    _result(
                        self._file_id,
                        line.number,
                        LineStatus.REFUSED,
                        line.code,
                        line.detail,
                        line.loan_id,
                        0,
                        "",
                        None,
                        line.external_reference,
                    )
                )
                continue
            status, code, detail, repayment_id = self._one(line, today, now, applied_before, rows, open_loans, plans)
            if status is LineStatus.APPLIED:
                applied_before.add(line.external_reference)
                self.totals[line.currency] = self.totals.get(line.currency, 0) + line.amount_minor
            results.append(
                _result(
                    self._file_id,
                    line.number,
                    status,
                    code,
                    detail,
                    line.loan_id,
                    line.amount_minor,
                    line.currency,
                    line.value_date,
                    line.external_reference,
                    repayment_id,
                )
            )
        write_loans(uow, open_loans.values())
        write_plans(uow, plans)
        for plan in plans:
            self.journal.add(plan.entry)
        self.journal.flush()
        conn.execute(_INSERT_LINES, results)
        for r in results:
            self.counts[LineStatus(r["status"])] += 1

    def _one(
        self,
        line: FileLine,
        today: date,
        now: datetime,
        applied_before: set[str],
        rows: dict[str, Any],
        open_loans: dict[str, OpenLoan],
        plans: list[RepaymentPlan],
    ) -> tuple[LineStatus, str, str, str]:
        if line.external_reference in applied_before:
            return LineStatus.DUPLICATE, "reference_already_applied", "a payment with this reference was applied", ""
        if line.value_date > today:
            return LineStatus.REFUSED, "value_date_in_future", f"the business date is {today}", ""
        row = rows.get(line.loan_id)
        if row is None:
            return LineStatus.REFUSED, "loan_not_found", f"no loan {line.loan_id}", ""
        if line.value_date < row.open_date:
            return LineStatus.REFUSED, "value_date_before_loan", f"the loan opened on {row.open_date}", ""
        amount = Money(line.amount_minor, line.currency)
        try:
            open_loan = open_loans.get(line.loan_id)
            if open_loan is not None:
                plan = plan_repayment(
                    open_loan,
                    amount,
                    today=today,
                    now=now,
                    profile=self._profile,
                    reference=line.external_reference,
                    received_into=None,
                )
                plans.append(plan)
                return LineStatus.APPLIED, "", "", plan.repayment_id
            if row.state in RECOVERABLE_STATES:
                # Money for a charged-off loan: a recovery, booked as a single repayment books it.
                result = recover(self._uow, self.journal, self._profile, row, amount, line.external_reference, None)
                return LineStatus.APPLIED, "", "", result.repayment_id
            raise Conflict("loan_not_active", f"loan {line.loan_id} is {row.state}; it takes no repayments")
        except DomainError as exc:
            return LineStatus.REFUSED, exc.code, exc.detail, ""

    def _open_loans(self, active: list[Any]) -> dict[str, OpenLoan]:
        if not active:
            return {}
        conn = self._uow.conn
        keys = {"borrower_ids": sorted({r.borrower_id for r in active}), "loan_ids": sorted(r.id for r in active)}
        billed: dict[str, list[dict[str, Any]]] = {r.id: [] for r in active}
        found = conn.execute(_BILLED, keys)
        columns = list(found.keys())
        for values in found:
            inst = dict(zip(columns, values, strict=True))
            mine = billed.get(inst["loan_id"])
            if mine is not None:  # another loan of the same borrower: not in this chunk
                mine.append(inst)
        unbilled = {loan_id: int(total or 0) for loan_id, total in conn.execute(_UNBILLED_PRINCIPAL, keys)}
        return {
            r.id: OpenLoan(
                dict(r._mapping),
                load_product(conn, r.product_code, r.product_version, self._products),
                billed[r.id],
                unbilled.get(r.id, 0),
                read_unbilled=partial(_read_unbilled, conn, r.borrower_id, r.id),
            )
            for r in active
        }


def _read_unbilled(conn: Connection, borrower_id: str, loan_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(OPEN_INSTALLMENTS, {"borrower_id": borrower_id, "loan_id": loan_id}).mappings()
    return [dict(r) for r in rows if not r["billed"]]


def _result(
    file_id: str,
    number: int,
    status: LineStatus,
    code: str,
    detail: str,
    loan_id: str,
    amount_minor: int,
    currency: str,
    value_date: date | None,
    reference: str,
    repayment_id: str = "",
) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "line": number,
        "status": status.value,
        "code": code,
        "detail": detail[:200],
        "loan_id": loan_id,
        "amount_minor": amount_minor,
        "currency": currency,
        "value_date": value_date,
        "external_reference": reference,
        "repayment_id": repayment_id,
    }


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
