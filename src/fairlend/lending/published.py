"""Lending's loans, delinquency history, repayments, overdue book and dues as selectables, set-based.

Like `exposures.py` for finance: portfolio analytics and collections' end-of-day plan over a whole book
must be a few statements (issue #18: the analytics page over a 10,000-borrower
book in under 500 ms), which rules out walking every loan through the
service. So lending publishes these SELECTs; their column names are a
contract (like an event's fields) that another context may embed in its own
queries. Lending's tables stay lending's: nobody names them but lending, and
a change of its schema changes only this module.

- `loan_book()`: `borrower_id`, `loan_id`, `open_date`, `principal` (as disbursed,
  financed fee included; a tranche adds to it), `currency`, `settled_on`, `closed_amount`
  (charged or written off).
- `delinquency_transitions()`: `borrower_id`, `id` (orders one day's moves),
  `loan_id`, `business_date`, `to_bucket`, `dpd`.
- `repayments()`: `borrower_id`, `loan_id`, `business_date`, `principal`, `amount`,
  `refunded`, `kind` (`repayment`, or a recovery's kind on a closed loan).
- `overdue_book(min_dpd, part)` (collections' end-of-day plan): one row per active loan at least
  `min_dpd` days past due: `borrower_id`, `loan_id`, `dpd`, `overdue_minor`, `currency`.
- `upcoming_dues(first, last, part)` (its reminders before due): one row per unpaid installment of an
  active loan due from `first` to `last`: `borrower_id`, `loan_id`, `due_date`, `due_day` (the date's
  ordinal), `amount_minor` (unpaid principal, interest and fee), `currency`. A modified schedule can
  carry several rows on one date: the reader sums them if it wants one per date. Installments carry no
  slot, so a partition's dues are the date's installments (`due_day` index) joined to its loans.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from fairlend.batch.model import Partition
from fairlend.lending.model import LoanState
from fairlend.lending.tables import loan, loan_delinquency_transition, loan_installment, loan_repayment


def loan_book() -> Select[Any]:
    return select(
        loan.c.borrower_id.label("borrower_id"),
        loan.c.id.label("loan_id"),
        loan.c.open_date.label("open_date"),
        loan.c.principal.label("principal"),
        loan.c.currency.label("currency"),
        loan.c.settled_on.label("settled_on"),
        loan.c.closed_amount.label("closed_amount"),
    )


def delinquency_transitions() -> Select[Any]:
    t = loan_delinquency_transition
    return select(
        t.c.borrower_id.label("borrower_id"),
        t.c.id.label("id"),
        t.c.loan_id.label("loan_id"),
        t.c.business_date.label("business_date"),
        t.c.to_bucket.label("to_bucket"),
        t.c.dpd.label("dpd"),
    )


def repayments() -> Select[Any]:
    r = loan_repayment
    return select(
        r.c.borrower_id.label("borrower_id"),
        r.c.loan_id.label("loan_id"),
        r.c.business_date.label("business_date"),
        r.c.principal.label("principal"),
        r.c.amount.label("amount"),
        r.c.refunded.label("refunded"),
        r.c.kind.label("kind"),
    )


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
