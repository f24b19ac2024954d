"""What hardship needs of lending: `LendingService` is the adapter (it has these methods itself)."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from fairlend.db.uow import UnitOfWork
from fairlend.lending.model import InstallmentState, LoanPosition, ScheduleChange


class LoanBook(Protocol):
    def position(self, loan_id: str) -> LoanPosition:
        """The loan today, read in lending's own transaction (`loan_not_found`)."""
        ...

    def position_in(self, uow: UnitOfWork, loan_id: str) -> LoanPosition:
        """The loan inside the caller's transaction, its row locked until that ends."""
        ...

    def modify_in(self, uow: UnitOfWork, change: ScheduleChange, *, today: date | None = None) -> tuple[int, int]:
        """Apply a new schedule version; (version, first sequence number of its installments)."""
        ...

    def release_delinquency_in(self, uow: UnitOfWork, loan_id: str, *, reaged: bool, end_of: date | None = None) -> int:
        """Let a held delinquency follow the schedule again; the days past due now."""
        ...

    def installments_in(self, uow: UnitOfWork, loan_id: str, from_seq: int = 0) -> list[InstallmentState]:
        """The loan's installments from a sequence number on, by due date."""
        ...
