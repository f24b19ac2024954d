"""One chunk of a repayment file, applied inside the file's transaction (files.py).

Per chunk: one read of the lines' references already applied, one of their
loans (locked, in id order), one of those loans' billed, unpaid installments
and one of their unbilled principal; every line planned in order through
`repayment_plan.plan_repayment`, a loan paid twice planned from its state after
the first; then each table written once for the chunk, the journal entries
queued on the file's `JournalBatch`, and the lines' results stored.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, DomainError
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.batch import JournalBatch
from fairlend.lending.file_lines import FileLine, LineRefusal, LineStatus
from fairlend.lending.model import RECOVERABLE_STATES, LoanState
from fairlend.lending.products import ProductCache, load_product
from fairlend.lending.recovery import recover
from fairlend.lending.repayment_plan import OpenLoan, RepaymentPlan, plan_repayment
from fairlend.lending.repayment_writes import write_loans, write_plans
from fairlend.lending.stored_answers import touch
from fairlend.lending.subledger import OPEN_INSTALLMENTS
from fairlend.lending.tables import loan, loan_installment, repayment_file_line
from fairlend.money import Money

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


class ChunkApplier:
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
                touch(self._uow, row.borrower_id, row.id)
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
