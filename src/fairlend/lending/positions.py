"""A loan's position and schedule versions, as a modification reads them (modifying.py changes them).

`LoanPosition` is pure data (lending/model.py): what another context needs
to compute a new schedule without reading lending's tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from fairlend.db.uow import UnitOfWork
from fairlend.errors import NotFound
from fairlend.lending.model import DayCount, Frequency, LoanState, Method
from fairlend.lending.position_model import InstallmentState, LoanPosition, RemainingInstallment
from fairlend.lending.products import load_product
from fairlend.lending.repayment import LoanRepayments
from fairlend.lending.schedule import from_day
from fairlend.lending.subledger import (
    OPEN_INSTALLMENTS,
)
from fairlend.lending.tables import loan, loan_installment, loan_repayment, loan_schedule_version

_BY_ID = select(loan).where(loan.c.id == bindparam("loan_id"))
ALL_INSTALLMENTS = (
    select(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("borrower_id"), loan_installment.c.loan_id == bindparam("loan_id")
    )
    .order_by(loan_installment.c.seq)
)
_PAID = select(
    func.coalesce(
        func.sum(
            loan_repayment.c.principal + loan_repayment.c.interest + loan_repayment.c.penalty + loan_repayment.c.fees
        ),
        0,
    )
).where(loan_repayment.c.borrower_id == bindparam("borrower_id"), loan_repayment.c.loan_id == bindparam("loan_id"))
_VERSIONS = (
    select(loan_schedule_version)
    .where(
        loan_schedule_version.c.borrower_id == bindparam("borrower_id"),
        loan_schedule_version.c.loan_id == bindparam("loan_id"),
    )
    .order_by(loan_schedule_version.c.version)
)
INSTALLMENT_KEY = (
    loan_installment.c.borrower_id == bindparam("b_borrower_id"),
    loan_installment.c.loan_id == bindparam("b_loan_id"),
    loan_installment.c.seq == bindparam("b_seq"),
)


def installment_json(i: Row[Any]) -> dict[str, Any]:
    return {
        "seq": i.seq,
        "start_date": from_day(i.start_day).isoformat() if i.start_day else None,  # type: ignore[union-attr]
        "due_date": i.due_date.isoformat(),
        "principal": i.principal,
        "interest": i.interest,
        "fee": i.fee,
        "principal_paid": i.principal_paid,
        "interest_paid": i.interest_paid,
        "fee_paid": i.fee_paid,
        "billed": bool(i.billed),
        "paid_on": i.paid_on.isoformat() if i.paid_on else None,
    }


class LoanPositions(LoanRepayments):
    """Reading a loan for a modification, on top of repayments (whose `_load` locks the row and settles the date)."""

    # -- reading ----------------------------------------------------------------------------------

    def position(self, loan_id: str) -> LoanPosition:
        """The loan as a modification would see it today (`loan_not_found`)."""
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(_BY_ID, {"loan_id": loan_id}).first()
            if row is None:
                raise NotFound("loan_not_found", f"no loan {loan_id}")
            return self._position(uow, row)

    def position_in(self, uow: UnitOfWork, loan_id: str) -> LoanPosition:
        """The same inside the caller's transaction, with the loan's row locked until it ends."""
        return self._position(uow, self._load(uow, loan_id))

    def _position(self, uow: UnitOfWork, ln: Row[Any]) -> LoanPosition:
        conn = uow.conn
        product = load_product(conn, ln.product_code, ln.product_version)
        keys = {"borrower_id": ln.borrower_id, "loan_id": ln.id}
        insts = conn.execute(OPEN_INSTALLMENTS, keys).all()
        last_due = conn.execute(
            select(func.max(loan_installment.c.due_date)).where(
                loan_installment.c.borrower_id == ln.borrower_id, loan_installment.c.loan_id == ln.id
            )
        ).scalar()
        remaining = tuple(
            RemainingInstallment(
                i.seq, date.fromordinal(i.start_day), i.due_date, i.principal - i.principal_paid, i.interest
            )
            for i in insts
            if not i.billed
        )
        return LoanPosition(
            loan_id=ln.id,
            borrower_id=ln.borrower_id,
            currency=ln.currency,
            state=LoanState(ln.state),
            product_code=ln.product_code,
            product_version=ln.product_version,
            method=Method(ln.method),
            frequency=Frequency(ln.frequency),
            day_count=DayCount(product.day_count),
            rounding=product.rounding,
            installment_rounding=product.installment_rounding,
            rate=ln.rate,
            open_date=ln.open_date,
            max_term=product.max_term,
            grace_days=ln.grace_days,
            as_of=uow.clock.business_date(),
            schedule_version=ln.schedule_version,
            installment=ln.installment_amount,
            principal=ln.principal_outstanding,
            principal_billed=ln.principal_due,
            interest_billed=ln.interest_due,
            accrued_interest=ln.accrued_interest,
            penalty=ln.penalty_due,
            fees=ln.fees_due,
            paid=int(conn.execute(_PAID, keys).scalar() or 0),
            days_past_due=ln.dpd,
            last_due=last_due or ln.maturity_date,
            remaining=remaining,
            emi_method=product.emi_method,
            rebalance_installment=product.rebalance_installment,
        )

    def installments_in(self, uow: UnitOfWork, loan_id: str, from_seq: int = 0) -> list[InstallmentState]:
        """The loan's installments from `from_seq` on (a plan's own), in the caller's transaction."""
        ln = uow.conn.execute(_BY_ID, {"loan_id": loan_id}).first()
        if ln is None:
            raise NotFound("loan_not_found", f"no loan {loan_id}")
        rows = uow.conn.execute(ALL_INSTALLMENTS, {"borrower_id": ln.borrower_id, "loan_id": loan_id}).all()
        return sorted(
            (
                InstallmentState(
                    i.seq,
                    i.due_date,
                    date.fromordinal(i.late_day),
                    i.principal + i.interest + i.fee,
                    i.principal - i.principal_paid + i.interest - i.interest_paid + i.fee - i.fee_paid,
                    i.paid_on,
                )
                for i in rows
                if i.seq >= from_seq
            ),
            key=lambda s: (s.due, s.seq),
        )

    def schedule_versions(self, loan_id: str) -> list[dict[str, Any]]:
        """Every schedule the loan had, oldest first; the last is the current one (loan_installment)."""
        with self._uow(read_only=True) as uow:
            ln = uow.conn.execute(_BY_ID, {"loan_id": loan_id}).first()
            if ln is None:
                raise NotFound("loan_not_found", f"no loan {loan_id}")
            keys = {"borrower_id": ln.borrower_id, "loan_id": loan_id}
            old = uow.conn.execute(_VERSIONS, keys).all()
            current = uow.conn.execute(ALL_INSTALLMENTS, keys).all()
        versions = [
            {
                "version": v.version,
                "current": False,
                "replaced_on": v.replaced_on.isoformat(),
                "replaced_by": v.replaced_by,
                "reference": v.reference,
                "rate": str(v.rate),
                "installments": list(v.installments),
            }
            for v in old
        ]
        versions.append(
            {
                "version": ln.schedule_version,
                "current": True,
                "replaced_on": None,
                "replaced_by": None,
                "reference": None,
                "rate": str(ln.rate),
                "installments": [installment_json(i) for i in current],
            }
        )
        return versions
