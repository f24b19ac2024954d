"""Lending's view of a loan, as the secondary market prices its notes (the `NoteLoans` port's adapter)."""

from __future__ import annotations

from fairlend.lending.service import LendingService
from fairlend.market.secondary import LoanStanding


class LendingLoans:
    """A loan's standing for pricing its notes, from lending's loan detail.

    The holders' part of each unpaid installment is its principal and interest
    still owed: what the installment owes less its own fee still unpaid (a fee
    is paid before interest and principal, and stays with the platform).
    Hardship plans are issue #15: until lending has them no loan is in one, and
    this is the one place that will ask.
    """

    def __init__(self, lending: LendingService) -> None:
        self._lending = lending

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
            in_hardship=False,
            rate=detail.rate,
            periods_per_year=detail.frequency.periods_per_year,
            accrued_interest=detail.accrued_interest.minor,
            open_date=detail.open_date,
            due_dates=tuple(line.due_date for line in detail.schedule),
            remaining=tuple(remaining),
        )
