"""What hardship needs of other contexts.

`LoanBook`: lending (`LendingService` has these methods itself).
`EvidenceVault`: identity's checks, sealing and audit for the borrower's
evidence files (`IdentityService.files`, a `PersonalFiles`); hardship imports
no identity code (import-linter).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from fairlend.db.uow import UnitOfWork
from fairlend.lending.position_model import InstallmentState, LoanPosition, ScheduleChange


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


class EvidenceVault(Protocol):
    """Files about a person, treated as identity treats asset certificates."""

    @property
    def current_key_id(self) -> str: ...

    def check(self, content: bytes, claimed_type: str | None, filename: str | None) -> str:
        """The real content type (by magic bytes); `Invalid` (`file_too_large`, `file_empty`,
        `file_type_mismatch`) otherwise."""
        ...

    def seal(self, content: bytes, purpose: str) -> bytes:
        """Sealed under `current_key_id`, bound to `purpose`."""
        ...

    def open(self, key_id: str, blob: bytes, purpose: str) -> bytes | None:
        """The file; None when no configured key opens it (an operations fault)."""
        ...

    def record_view(
        self, uow: UnitOfWork, *, actor_id: str, actor_role: str, person_id: str, fields: str, purpose: str
    ) -> None:
        """The personal-data audit log: who saw whose file and why, in the caller's transaction."""
        ...
