"""What other contexts and the edges ask of lending, and the subledger check.

Answers are frozen dataclasses from `model.py`; nobody outside lending reads
its tables. `verify` is what `fairlend verify` runs for lending: each control
account equals the sum of its subledger, and each loan's cached balances
equal the sum of its installments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from fairlend.batch.model import Partition
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import NotFound
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.lending.checks import verify_subledger
from fairlend.lending.model import Frequency, LoanState, Method, RepaymentKind
from fairlend.lending.recovery import recovered_of
from fairlend.lending.schedule import from_day
from fairlend.lending.tables import loan, loan_installment, loan_repayment
from fairlend.lending.views import DelinquentLoan, DueReminder, InstallmentView, LoanDetail, LoanFacts, RepaymentView
from fairlend.money import Money, exponent

_BY_ID = select(loan).where(loan.c.id == bindparam("loan_id"))
_STATES_CHUNK = 1_000
_INSTALLMENTS = (
    select(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("borrower_id"), loan_installment.c.loan_id == bindparam("loan_id")
    )
    .order_by(loan_installment.c.seq)
)
_OF_BORROWER = select(loan).where(loan.c.borrower_id == bindparam("borrower_id")).order_by(loan.c.id)
_BORROWER_INSTALLMENTS = (
    select(loan_installment)
    .where(loan_installment.c.borrower_id == bindparam("borrower_id"))
    .order_by(loan_installment.c.loan_id, loan_installment.c.seq)
)
_REPAYMENTS = (
    select(loan_repayment)
    .where(loan_repayment.c.borrower_id == bindparam("borrower_id"), loan_repayment.c.loan_id == bindparam("loan_id"))
    .order_by(loan_repayment.c.business_date, loan_repayment.c.created_at, loan_repayment.c.id)
)


def _facts(row: Row[Any], insts: list[Row[Any]]) -> LoanFacts:
    cur = row.currency
    money = money_in(cur)
    unpaid = [i for i in insts if i.paid_on is None]
    nxt = min(unpaid, key=lambda i: (i.due_date, i.seq), default=None)
    # A modified loan may have two installments on one due date (carried arrears and the new schedule's).
    next_amount = sum(
        i.principal - i.principal_paid + i.interest - i.interest_paid + i.fee - i.fee_paid
        for i in unpaid
        if nxt is not None and i.due_date == nxt.due_date
    )
    total = row.principal_outstanding + row.interest_due + row.accrued_interest + row.penalty_due + row.fees_due
    return LoanFacts(
        loan_id=row.id,
        borrower_id=row.borrower_id,
        state=LoanState(row.state),
        currency=cur,
        outstanding_principal=money(row.principal_outstanding),
        total_outstanding=money(total),
        overdue_amount=money(row.overdue_amount),
        days_past_due=row.dpd,
        bucket=row.bucket,
        settled_on=row.settled_on,
        next_due_date=nxt.due_date if nxt is not None and row.state == LoanState.ACTIVE.value else None,
        next_due_amount=money(next_amount if row.state == LoanState.ACTIVE.value else 0),
    )


# The most pressing status of a due date's unpaid installments names the payment (see _installment_view).
_URGENCY = ("overdue", "due", "scheduled", "billed")


def by_due_date(insts: list[Row[Any]]) -> list[list[Row[Any]]]:
    """The installments grouped by due date, in due-date order (a plan's two parts of one payment together)."""
    groups: dict[date, list[Row[Any]]] = {}
    for i in sorted(insts, key=lambda i: (i.due_date, i.seq)):
        groups.setdefault(i.due_date, []).append(i)
    return list(groups.values())


def _installment_view(group: list[Row[Any]], today: date, money: Callable[[int], Money]) -> InstallmentView:
    """One payment: the installments falling due on one date, as one row.

    A modified loan has two on a plan's due date: the arrears the plan carries
    (billed already) and the new schedule's own (billed on the date). The
    borrower owes them as one payment, so they are shown, and paid from the
    row, as one: until the new schedule's part is billed the payment is
    "scheduled", as any other not yet due, even though its carried part is
    billed; paid only when both are. Its number is the new schedule's
    installment's (the higher sequence).
    """
    if len(group) == 1:  # the common case, without the sums (a loan read is the API's busiest call)
        return _one_installment_view(group[0], today, money)
    return _grouped_view(group, today, money)


def _grouped_view(group: list[Row[Any]], today: date, money: Callable[[int], Money]) -> InstallmentView:
    statuses = []
    for i in group:
        if i.paid_on is not None:
            continue
        if i.billed and i.late_day < today.toordinal():
            statuses.append("overdue")
        elif i.billed and i.due_date <= today:
            statuses.append("due")
        else:
            statuses.append("billed" if i.billed else "scheduled")
    status = min(statuses, key=_URGENCY.index) if statuses else "paid"
    paid = sum(i.principal_paid + i.interest_paid + i.fee_paid for i in group)
    owed = sum(i.principal + i.interest + i.fee for i in group) - paid
    return InstallmentView(
        max(i.seq for i in group),
        group[0].due_date,
        money(sum(i.principal for i in group)),
        money(sum(i.interest for i in group)),
        money(sum(i.fee for i in group)),
        money(paid),
        status,
        money(owed),
    )


def _one_installment_view(i: Row[Any], today: date, money: Callable[[int], Money]) -> InstallmentView:
    """`_installment_view` of a due date with one installment: the same status and amounts."""
    if i.paid_on is not None:
        status = "paid"
    elif not i.billed:
        status = "scheduled"
    elif i.late_day < today.toordinal():
        status = "overdue"
    else:
        status = "due" if i.due_date <= today else "billed"
    paid = i.principal_paid + i.interest_paid + i.fee_paid
    return InstallmentView(
        i.seq,
        i.due_date,
        money(i.principal),
        money(i.interest),
        money(i.fee),
        money(paid),
        status,
        money(i.principal + i.interest + i.fee - paid),
    )


def detail_of(uow: UnitOfWork, row: Row[Any], insts: list[Row[Any]]) -> LoanDetail:
    today = uow.clock.business_date()
    recovered = recovered_of(uow, row) if row.closed_amount else 0
    cur = row.currency
    money = money_in(cur)
    views = [_installment_view(group, today, money) for group in by_due_date(insts)]
    return LoanDetail(
        facts=_facts(row, insts),
        product_code=row.product_code,
        product_version=row.product_version,
        principal=money(row.principal),
        rate=row.rate,
        apr=row.apr,
        term=row.term,
        frequency=Frequency(row.frequency),
        method=Method(row.method),
        open_date=row.open_date,
        maturity_date=row.maturity_date,
        installment=money(row.installment_amount),
        accrued_interest=money(row.accrued_interest),
        interest_due=money(row.interest_due),
        penalty_due=money(row.penalty_due),
        fees_due=money(row.fees_due),
        first_delinquency_date=from_day(row.first_delinquency_day),
        charged_off=money(row.closed_amount),
        recovered=money(recovered),
        origination_fee=money(row.fee_amount),
        schedule=tuple(views),
        grade=row.grade,
        approved=money(row.approved_amount) if row.approved_amount else None,
        tranches=row.tranches,
    )


class LendingQueries:
    def __init__(self, uow: UnitOfWorkFactory, ledger: Ledger) -> None:
        self._uow = uow
        self._ledger = ledger

    def _row(self, conn: Connection, loan_id: str) -> tuple[Row[Any], list[Row[Any]]]:
        row = conn.execute(_BY_ID, {"loan_id": loan_id}).first()
        if row is None:
            raise NotFound("loan_not_found", f"no loan {loan_id}")
        insts = list(conn.execute(_INSTALLMENTS, {"borrower_id": row.borrower_id, "loan_id": loan_id}))
        return row, insts

    def loan_facts(self, loan_id: str) -> LoanFacts:
        with self._uow(read_only=True) as uow:
            row, insts = self._row(uow.conn, loan_id)
        return _facts(row, insts)

    def loan_states(self, loan_ids: Iterable[str]) -> dict[str, tuple[LoanState, int]]:
        """Each loan's state and days past due, for many loans in one read (an investor's portfolio of notes).

        Loans not found are left out. Asked in chunks, so any number of ids stays within the databases'
        limits on bound parameters.
        """
        ids = sorted(set(loan_ids))
        found: dict[str, tuple[LoanState, int]] = {}
        with self._uow(read_only=True) as uow:
            for start in range(0, len(ids), _STATES_CHUNK):
                chunk = ids[start : start + _STATES_CHUNK]
                for r in uow.conn.execute(select(loan.c.id, loan.c.state, loan.c.dpd).where(loan.c.id.in_(chunk))):
                    found[r.id] = (LoanState(r.state), int(r.dpd))
        return found

    def repayments_of(self, loan_id: str) -> list[RepaymentView]:
        """Every payment received on the loan, oldest first (`loan_not_found` for no such loan)."""
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(_BY_ID, {"loan_id": loan_id}).first()
            if row is None:
                raise NotFound("loan_not_found", f"no loan {loan_id}")
            paid = uow.conn.execute(_REPAYMENTS, {"borrower_id": row.borrower_id, "loan_id": loan_id}).all()
        money = money_in(row.currency)
        return [
            RepaymentView(
                r.id,
                r.business_date,
                money(r.amount),
                RepaymentKind(r.kind),
                money(r.principal),
                money(r.interest),
                money(r.penalty + r.fees + r.prepayment_fee),
                money(r.refunded),
            )
            for r in paid
        ]

    def loans_of_borrower(self, borrower_id: str) -> list[LoanFacts]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(select(loan).where(loan.c.borrower_id == borrower_id).order_by(loan.c.id)).all()
            return [
                _facts(r, list(uow.conn.execute(_INSTALLMENTS, {"borrower_id": r.borrower_id, "loan_id": r.id})))
                for r in rows
            ]

    def delinquent_loans(self, min_dpd: int = 1, part: Partition | None = None) -> list[DelinquentLoan]:
        """Compact rows for bulk collections planning, most overdue first (of one partition's borrowers)."""
        query = (
            select(loan.c.id, loan.c.borrower_id, loan.c.dpd, loan.c.overdue_amount, loan.c.currency, loan.c.bucket)
            .where(loan.c.state == LoanState.ACTIVE.value, loan.c.dpd >= max(min_dpd, 1))
            .order_by(loan.c.dpd.desc(), loan.c.id)
        )
        if part is not None:
            query = query.where(loan.c.borrower_slot >= part.lo, loan.c.borrower_slot < part.hi)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query).all()
        return [DelinquentLoan(r.id, r.borrower_id, r.dpd, Money(r.overdue_amount, r.currency), r.bucket) for r in rows]

    def due_soon(self, on: date, part: Partition | None = None) -> list[DueReminder]:
        """Installments falling due on `on` that are not paid yet (for reminders; of one partition's borrowers)."""
        in_part = () if part is None else (loan.c.borrower_slot >= part.lo, loan.c.borrower_slot < part.hi)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(
                    loan_installment.c.loan_id,
                    loan_installment.c.borrower_id,
                    loan_installment.c.due_date,
                    (
                        loan_installment.c.principal
                        - loan_installment.c.principal_paid
                        + loan_installment.c.interest
                        - loan_installment.c.interest_paid
                        + loan_installment.c.fee
                        - loan_installment.c.fee_paid
                    ).label("amount"),
                    loan.c.currency,
                )
                .join(
                    loan,
                    (loan.c.borrower_id == loan_installment.c.borrower_id) & (loan.c.id == loan_installment.c.loan_id),
                )
                .where(
                    loan.c.state == LoanState.ACTIVE.value,
                    loan_installment.c.due_day == on.toordinal(),
                    loan_installment.c.paid_on.is_(None),
                    *in_part,
                )
                .order_by(loan_installment.c.loan_id)
            ).all()
        return [DueReminder(r.loan_id, r.borrower_id, r.due_date, Money(int(r.amount), r.currency)) for r in rows]

    def loan_detail(self, loan_id: str) -> LoanDetail:
        """Balances and the schedule with each installment's paid, due and overdue parts."""
        with self._uow(read_only=True) as uow:
            row, insts = self._row(uow.conn, loan_id)
            return detail_of(uow, row, insts)

    def loan_details_of_borrower(self, borrower_id: str) -> list[LoanDetail]:
        """`loan_detail` of each of the borrower's loans, by id: one transaction, two statements."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(_OF_BORROWER, {"borrower_id": borrower_id}).all()
            by_loan: dict[str, list[Row[Any]]] = {r.id: [] for r in rows}
            for inst in uow.conn.execute(_BORROWER_INSTALLMENTS, {"borrower_id": borrower_id}):
                by_loan[inst.loan_id].append(inst)
            return [detail_of(uow, r, by_loan[r.id]) for r in rows]

    def reminder_date(self, business_date: date, days: int = 3) -> date:
        return business_date + timedelta(days=days)

    def verify(self) -> list[Discrepancy]:
        with self._uow(read_only=True) as uow:
            return verify_subledger(uow, self._ledger)


def money_in(currency: str) -> Callable[[int], Money]:
    """A maker of `currency` amounts from stored minor units (a database sum may come back as Decimal).

    The currency is checked once, here (`unknown_currency`), and `int` makes every amount an integer,
    so each `Money` is built without `Money.__post_init__` checking both again: a loan's answer
    builds 73 of them, and the checks were a fifth of rendering it (docs/performance.md, "Sixth pass").
    """
    exponent(currency)
    new, assign = object.__new__, object.__setattr__

    def make(minor: int) -> Money:
        money = new(Money)
        assign(money, "minor", int(minor))
        assign(money, "currency", currency)
        return money

    return make
