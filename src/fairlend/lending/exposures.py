"""The active book as a selectable: what finance classifies and provisions, set-based.

Finance must classify and provision a million loans at month-end in a few
statements (issue #19's benchmark), which rules out copying them through
Python. So lending publishes this read view: a SELECT whose column names are
a contract (like an event's fields) that another context may embed in its own
INSERT ... SELECT. Lending's tables stay lending's: nobody names them but this
module, and a change of the subledger changes only this query.

Columns: `borrower_id`, `loan_id`, `currency`, `dpd`, `grade` (the risk grade
stored at origination, lending/grades.py; "" where none is known), `ead` (exposure at default: every
receivable of the loan, in minor units), `remaining_months` (at least 1),
`modified_on` (the date its schedule was last replaced by a modification —
a hardship plan, a restructuring — or NULL), `unpaid_interest` (interest
earned and not yet paid: billed and accrued; penalty interest is not in it).

`loss_history()` is the other view: per grade letter, the loans charged or
written off so far (`letter`, `defaults`, `charged_off`: what was moved to
credit loss, `recovered`: received since, refunds excluded), what finance
measures its loss given default from once there is history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, literal, select

from fairlend.lending.eod_steps import ACTIVE
from fairlend.lending.model import RECOVERABLE_STATES, Frequency, RepaymentKind
from fairlend.lending.tables import loan, loan_repayment, loan_schedule_version

_REMAINING = loan.c.term - loan.c.cur_seq + 1
_MONTHS = case(
    (
        loan.c.frequency.in_([Frequency.BIWEEKLY.value, Frequency.SEMIMONTHLY.value, Frequency.FIFTEEN_DAYS.value]),
        (_REMAINING + 1) // 2,
    ),
    (loan.c.frequency == Frequency.WEEKLY.value, (_REMAINING + 3) // 4),
    else_=_REMAINING,
)
_MODIFIED_ON = (
    select(func.max(loan_schedule_version.c.replaced_on))
    .where(
        loan_schedule_version.c.borrower_id == loan.c.borrower_id,
        loan_schedule_version.c.loan_id == loan.c.id,
    )
    .scalar_subquery()
)


def active_exposures() -> Select[Any]:
    """One row per active loan (see the module's docstring for the columns)."""
    return select(
        loan.c.borrower_id.label("borrower_id"),
        loan.c.id.label("loan_id"),
        loan.c.currency.label("currency"),
        loan.c.dpd.label("dpd"),
        loan.c.grade.label("grade"),
        (
            loan.c.principal_outstanding
            + loan.c.interest_due
            + loan.c.accrued_interest
            + loan.c.penalty_due
            + loan.c.fees_due
        ).label("ead"),
        # At least 1: each frequency's months are below 1 exactly when no installment remains.
        case((_REMAINING < 1, literal(1)), else_=_MONTHS).label("remaining_months"),
        # Only a modified loan has replaced schedules: the look-up runs for those alone.
        case((loan.c.schedule_version > 1, _MODIFIED_ON), else_=None).label("modified_on"),
        (loan.c.interest_due + loan.c.accrued_interest).label("unpaid_interest"),
    ).where(ACTIVE)


def loss_history() -> Select[Any]:
    """Per grade letter, the loans closed with a loss (charged or written off) and what was recovered on them."""
    r = loan_repayment.c
    recovered = (
        select(r.borrower_id, r.loan_id, func.sum(r.amount - r.refunded).label("amount"))
        .where(r.kind == RepaymentKind.RECOVERY.value)
        .group_by(r.borrower_id, r.loan_id)
        .subquery("recovered")
    )
    letter = func.substr(loan.c.grade, 1, 1)
    return (
        select(
            letter.label("letter"),
            func.count().label("defaults"),
            func.sum(loan.c.closed_amount).label("charged_off"),
            func.coalesce(func.sum(recovered.c.amount), 0).label("recovered"),
        )
        .select_from(
            loan.outerjoin(
                recovered, (recovered.c.borrower_id == loan.c.borrower_id) & (recovered.c.loan_id == loan.c.id)
            )
        )
        # Through the state's index (a charged-off or written-off loan keeps its state whatever it recovers),
        # not a scan of the whole book at every month-end.
        .where(loan.c.state.in_(sorted(RECOVERABLE_STATES)), loan.c.closed_amount > 0)
        .group_by(letter)
    )
