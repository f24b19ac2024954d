"""Lending's loans, delinquency history and repayments as selectables: what read models embed, set-based.

Like `exposures.py` for finance: portfolio analytics over a whole book must
be a few statements (issue #18: the analytics page over a 10,000-borrower
book in under 500 ms), which rules out walking every loan through the
service. So lending publishes these SELECTs; their column names are a
contract (like an event's fields) that another context may embed in its own
queries. Lending's tables stay lending's: nobody names them but lending, and
a change of its schema changes only this module.

- `loan_book()`: `borrower_id`, `loan_id`, `open_date`, `principal` (as disbursed,
  financed fee included), `settled_on`, `closed_amount` (charged or written off).
- `delinquency_transitions()`: `borrower_id`, `id` (orders one day's moves),
  `loan_id`, `business_date`, `to_bucket`, `dpd`.
- `repayments()`: `borrower_id`, `loan_id`, `business_date`, `principal`, `amount`,
  `refunded`, `kind` (`repayment`, or a recovery's kind on a closed loan).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from fairlend.lending.tables import loan, loan_delinquency_transition, loan_repayment


def loan_book() -> Select[Any]:
    return select(
        loan.c.borrower_id.label("borrower_id"),
        loan.c.id.label("loan_id"),
        loan.c.open_date.label("open_date"),
        loan.c.principal.label("principal"),
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
