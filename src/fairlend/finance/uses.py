"""The allowance's uses, recorded in the transaction that causes them: a write-off, a recovery.

Lending posts a charge-off to credit loss and a recovery to recovery income
as it happens; which segment's allowance they belong to is the loan's class at
that moment, known only now. So finance writes one row per event here (in
lending's transaction, through the in-transaction event bus) and the
month-end moves the allowance by them (`provisions.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert, select

from fairlend.db.uow import UnitOfWork
from fairlend.events import DomainEvent
from fairlend.finance.tables import finance_allowance_use, finance_class_change
from fairlend.ids import new_id
from fairlend.lending.events import LoanChargedOff, LoanWrittenOff, RepaymentPosted
from fairlend.lending.model import RepaymentKind

WRITE_OFF = "write_off"
RECOVERY = "recovery"

_u = finance_allowance_use.c
_c = finance_class_change.c


class AllowanceUses:
    def __init__(self, base_class: str) -> None:
        self._base = base_class

    def _segment(self, uow: UnitOfWork, borrower_id: str, loan_id: str) -> str:
        # By the owner's key first: the borrower's rows, never a scan of every loan's.
        written = uow.conn.execute(
            select(_u.segment)
            .where(_u.borrower_id == borrower_id, _u.loan_id == loan_id, _u.kind == WRITE_OFF)
            .order_by(_u.business_date)
            .limit(1)
        ).scalar()
        if written is not None:
            return str(written)
        found = uow.conn.execute(
            select(_c.to_class).where(_c.borrower_id == borrower_id, _c.loan_id == loan_id, _c.latest == 1)
        ).scalar()
        return str(found) if found is not None else self._base

    def _written_off_before(self, uow: UnitOfWork, borrower_id: str, loan_id: str) -> bool:
        query = select(_u.id).where(_u.borrower_id == borrower_id, _u.loan_id == loan_id, _u.kind == WRITE_OFF)
        return uow.conn.execute(query.limit(1)).first() is not None

    def _record(
        self, uow: UnitOfWork, borrower_id: str, loan_id: str, day: date, currency: str, kind: str, amount: int
    ) -> None:
        uow.conn.execute(
            insert(finance_allowance_use).values(
                borrower_id=borrower_id,
                id=new_id("alw"),
                loan_id=loan_id,
                business_date=day,
                currency=currency,
                segment=self._segment(uow, borrower_id, loan_id),
                kind=kind,
                amount=amount,
            )
        )

    def on_closed(self, uow: UnitOfWork, event: DomainEvent) -> None:
        """A charge-off, or a write-off of a loan not charged off first (that one posted nothing new)."""
        if not isinstance(event, LoanChargedOff | LoanWrittenOff) or not event.amount.minor:
            return
        if isinstance(event, LoanWrittenOff) and self._written_off_before(uow, event.borrower_id, event.loan_id):
            return
        self._record(
            uow,
            event.borrower_id,
            event.loan_id,
            event.business_date,
            event.amount.currency,
            WRITE_OFF,
            event.amount.minor,
        )

    def on_repayments(self, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        for event in events:
            if not isinstance(event, RepaymentPosted) or event.kind is not RepaymentKind.RECOVERY:
                continue
            applied = event.amount.minor - (event.refunded.minor if event.refunded else 0)
            if applied:
                self._record(
                    uow,
                    event.borrower_id,
                    event.loan_id,
                    event.business_date,
                    event.amount.currency,
                    RECOVERY,
                    applied,
                )
