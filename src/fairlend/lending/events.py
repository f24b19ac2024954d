"""Lending's events: other contexts code against these names and fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from fairlend.lending.model import Frequency, RepaymentKind
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class LoanDisbursed:
    event_type: ClassVar[str] = "lending.LoanDisbursed"
    loan_id: str
    borrower_id: str
    product_code: str
    currency: str
    principal: Money
    term: int
    frequency: Frequency
    open_date: date
    first_due_date: date
    maturity_date: date
    installment: Money
    apr: Decimal
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class RepaymentPosted:
    event_type: ClassVar[str] = "lending.RepaymentPosted"
    loan_id: str
    borrower_id: str
    repayment_id: str
    amount: Money
    principal_paid: Money
    interest_paid: Money
    penalty_paid: Money
    fees_paid: Money
    outstanding_principal: Money  # for a recovery: what is still owed of the amount charged off
    days_past_due: int
    business_date: date
    kind: RepaymentKind = RepaymentKind.REPAYMENT
    # For the market's distribution (servicing fee, MK): days from the oldest unpaid due date to the
    # day the money came in (0 when nothing was overdue), and the part handed back to the borrower.
    received_days_past_due: int = 0
    refunded: Money | None = None

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class LoanDelinquencyChanged:
    event_type: ClassVar[str] = "lending.LoanDelinquencyChanged"
    loan_id: str
    borrower_id: str
    days_past_due: int
    bucket: str
    previous_bucket: str
    overdue_amount: Money
    outstanding_principal: Money
    first_delinquency_date: date | None
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class LoanMonthEnd:
    event_type: ClassVar[str] = "lending.LoanMonthEnd"
    loan_id: str
    borrower_id: str
    outstanding: Money
    overdue_amount: Money
    days_past_due: int
    bucket: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class LoanSettled:
    event_type: ClassVar[str] = "lending.LoanSettled"
    loan_id: str
    borrower_id: str
    settled_on: date
    was_overdue: bool
    business_date: date
    # Recoveries paid everything a charged-off loan owed; the loan stays charged off (or written off).
    after_charge_off: bool = False

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class LoanChargedOff:
    event_type: ClassVar[str] = "lending.LoanChargedOff"
    loan_id: str
    borrower_id: str
    amount: Money
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class LoanWrittenOff:
    event_type: ClassVar[str] = "lending.LoanWrittenOff"
    loan_id: str
    borrower_id: str
    amount: Money
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class LoanModified:
    """A new schedule version replaced the loan's schedule (a hardship plan, or a lender's change inside the
    schedule when `plan` is False); the old one stays readable.

    The concessions are what the lender gave up in the same transaction:
    note holders bear `written_off_principal` pro rata (market), and a
    held delinquency stays as reported until it is released.
    """

    event_type: ClassVar[str] = "lending.LoanModified"
    loan_id: str
    borrower_id: str
    kind: str
    reference: str
    schedule_version: int
    rate: Decimal
    installments: int
    first_due_date: date
    maturity_date: date
    waived_interest: Money
    waived_fees: Money
    waived_penalty: Money
    written_off_principal: Money
    outstanding_principal: Money
    days_past_due: int
    delinquency_held: bool
    business_date: date
    # False for a lender's own change inside the schedule (lending/changing.py): no plan, no modification code.
    plan: bool = True
    disbursed_principal: Money | None = None  # a tranche paid out with the change
    operator_id: str = ""  # who made a lender's change, and why (the audit trail of the outbox)
    reason: str = ""
    # The new schedule's regular installment (its first with principal; the first one's when none has):
    # the bureau is told the changed terms, not only the balance (lending_reporting/plans.py).
    installment: Money | None = None

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class LoanDelinquencyReleased:
    """A held delinquency follows the schedule again: re-aged (a kept plan) or not (a broken one)."""

    event_type: ClassVar[str] = "lending.LoanDelinquencyReleased"
    loan_id: str
    borrower_id: str
    reaged: bool
    days_past_due: int
    bucket: str
    previous_days_past_due: int
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id
