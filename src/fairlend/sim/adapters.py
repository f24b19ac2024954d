"""collections' `LendingPort` over lending's real service.

bootstrap still hands collections an in-memory lending (collections/wiring.py
says the lead wires the real one at merge). Until then the contact gateway
cannot see a single real loan, so the demo connects this adapter when it finds
the in-memory one; once bootstrap wires a real adapter, the demo leaves it be.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from fairlend.collections.model import DelinquentLoan, LoanFacts, LoanState
from fairlend.collections.ports import UpcomingDue
from fairlend.errors import NotFound
from fairlend.lending.service import LendingService


class LendingFacts:
    def __init__(self, lending: LendingService) -> None:
        self._lending = lending

    def loan_facts(self, loan_id: str) -> LoanFacts | None:
        try:
            f = self._lending.loan_facts(loan_id)
        except NotFound:
            return None
        return LoanFacts(
            f.loan_id,
            f.borrower_id,
            LoanState(f.state.value),
            f.currency,
            f.overdue_amount,
            f.days_past_due,
            f.bucket,
            f.settled_on,
        )

    def delinquent_loans(self, min_dpd: int) -> Iterable[DelinquentLoan]:
        return [
            DelinquentLoan(d.loan_id, d.borrower_id, d.days_past_due, d.overdue_amount, d.bucket)
            for d in self._lending.delinquent_loans(min_dpd)
        ]

    def upcoming_dues(self, on: date, days_ahead: int) -> Iterable[UpcomingDue]:
        found: list[UpcomingDue] = []
        for offset in range(days_ahead + 1):
            for due in self._lending.due_soon(on + timedelta(days=offset)):
                found.append(UpcomingDue(due.loan_id, due.borrower_id, due.due_date, due.amount))
        return found
