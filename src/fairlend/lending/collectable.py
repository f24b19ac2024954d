"""The overdue book and the upcoming dues as selectables: what collections plans from, set-based.

End-of-day plans a task per overdue loan and ladder step and a reminder per
due date ahead; a day's plan is tens of thousands of rows, so collections
writes it in one `INSERT ... SELECT` per partition instead of copying the
book through Python. Lending publishes these read views for that, as it
publishes `exposures` for finance: their column names are a contract (like
an event's fields) that another context may embed in its own statement.
Lending's tables stay lending's: nobody else names them.

`overdue_book` — one row per active loan at least `min_dpd` days past due:
`borrower_id`, `loan_id`, `dpd`, `overdue_minor`, `currency`.

`upcoming_dues` — one row per unpaid installment of an active loan falling
due between two dates (inclusive): `borrower_id`, `loan_id`, `due_date`,
`due_day` (the date's ordinal), `amount_minor` (what is still unpaid of its
principal, interest and fee), `currency`. A modified schedule can carry
several rows on one date: the reader sums them if it wants one per date.

Both take a partition (a range of borrower slots) for end-of-day in
partitions. Installments carry no slot, so a partition's dues are read from
the date's installments (`due_day` index) joined to the partition's loans:
one query for every day ahead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from fairlend.batch.model import Partition
from fairlend.lending.model import LoanState
from fairlend.lending.tables import loan, loan_installment


def _in_part(part: Partition | None) -> tuple[ColumnElement[bool], ...]:
    return () if part is None else (loan.c.borrower_slot >= part.lo, loan.c.borrower_slot < part.hi)


def overdue_book(min_dpd: int, part: Partition | None = None) -> Select[Any]:
    """Active loans at least `min_dpd` (and at least 1) days past due, of one partition's borrowers."""
    return select(
        loan.c.borrower_id.label("borrower_id"),
        loan.c.id.label("loan_id"),
        loan.c.dpd.label("dpd"),
        loan.c.overdue_amount.label("overdue_minor"),
        loan.c.currency.label("currency"),
    ).where(loan.c.state == LoanState.ACTIVE.value, loan.c.dpd >= max(min_dpd, 1), *_in_part(part))


def upcoming_dues(first: date, last: date, part: Partition | None = None) -> Select[Any]:
    """Unpaid installments of active loans due from `first` to `last`, of one partition's borrowers."""
    i = loan_installment.c
    return (
        select(
            i.borrower_id.label("borrower_id"),
            i.loan_id.label("loan_id"),
            i.due_date.label("due_date"),
            i.due_day.label("due_day"),
            (i.principal - i.principal_paid + i.interest - i.interest_paid + i.fee - i.fee_paid).label("amount_minor"),
            loan.c.currency.label("currency"),
        )
        .join(loan, (loan.c.borrower_id == i.borrower_id) & (loan.c.id == i.loan_id))
        .where(
            loan.c.state == LoanState.ACTIVE.value,
            i.due_day >= first.toordinal(),
            i.due_day <= last.toordinal(),
            i.paid_on.is_(None),
            *_in_part(part),
        )
    )
