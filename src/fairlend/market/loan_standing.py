"""Lending's view of a loan, as the secondary market prices its notes (the `NoteLoans` port's adapter)."""

from __future__ import annotations

from collections.abc import Callable

from fairlend.lending.service import LendingService
from fairlend.market.secondary import LoanStanding


class LendingLoans:
    """A loan's standing for pricing its notes, from lending's loan detail.

    The holders' part of each unpaid installment is its principal and interest
    still owed: what the installment owes less its own fee still unpaid (a fee
    is paid before interest and principal, and stays with the platform).
    `in_plan(loan_id)` says whether a hardship plan is in force on the loan
    (bootstrap asks hardship; the market imports nothing of it): a note of such
    a loan is offered as `in_hardship`, disclosed to buyers on the sale order.
    """

    def __init__(self, lending: LendingService, in_plan: Callable[[str], bool] | None = None) -> None:
        self._lending = lending
        self._in_plan = in_plan

    def standing(self, loan_id: str) -> LoanStanding:
        detail = self._lending.loan_detail(loan_id)
        remaining = []
        for line in detail.schedule:
            owed = line.outstanding.minor - max(0, line.fee.minor - line.paid.minor)
            if line.status != "paid" and owed > 0:
                remaining.append((line.due_date, owed))
        return LoanStanding(
            loan_id=loan_id,
            state=detail.facts.state,
            days_past_due=detail.facts.days_past_due,
            in_hardship=self._in_plan is not None and self._in_plan(loan_id),
            rate=detail.rate,
            periods_per_year=detail.frequency.periods_per_year,
            accrued_interest=detail.accrued_interest.minor,
            open_date=detail.open_date,
            due_dates=tuple(line.due_date for line in detail.schedule),
            remaining=tuple(remaining),
        )
