"""Lending's answers to other contexts and to its pages: facts, views, quotes and results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fairlend.errors import Invalid
from fairlend.lending.model import Frequency, LoanState, Method, RepaymentKind
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class LoanFacts:
    loan_id: str
    borrower_id: str
    state: LoanState
    currency: str
    outstanding_principal: Money
    total_outstanding: Money  # principal + billed interest + accrued interest + penalty + fees
    overdue_amount: Money
    days_past_due: int
    bucket: str
    settled_on: date | None
    next_due_date: date | None
    next_due_amount: Money


@dataclass(frozen=True, slots=True)
class DelinquentLoan:
    loan_id: str
    borrower_id: str
    days_past_due: int
    overdue_amount: Money
    bucket: str


@dataclass(frozen=True, slots=True)
class DueReminder:
    loan_id: str
    borrower_id: str
    due_date: date
    amount: Money


@dataclass(frozen=True, slots=True)
class InstallmentView:
    seq: int
    due_date: date
    principal: Money
    interest: Money
    fee: Money
    paid: Money
    status: str  # paid | overdue | due | billed | scheduled
    outstanding: Money


@dataclass(frozen=True, slots=True)
class RepaymentView:
    """One payment received on a loan, as the borrower and a collector see it."""

    id: str
    paid_on: date  # the business day it was posted
    amount: Money  # what came in, refund included
    kind: RepaymentKind
    principal: Money
    interest: Money
    charges: Money  # penalty, fees and any prepayment fee
    refunded: Money  # handed back: paid over what was owed


@dataclass(frozen=True, slots=True)
class ScheduleChanged:
    """A change inside a loan's schedule, as applied: the new version's terms (lending/changing.py)."""

    loan_id: str
    kind: str  # rate_change | balance_correction | tranche
    schedule_version: int
    rate: Decimal
    apr: Decimal  # of what remains, as the borrower now pays it
    principal_outstanding: Money
    installment: Money  # the new regular installment
    installments: int
    first_due_date: date
    maturity_date: date
    carried_interest: Money  # earned before the change, carried onto the next installment
    written_off: Money
    disbursed: Money


@dataclass(frozen=True, slots=True)
class LoanAnswer:
    """A loan's public answer (the API's LoanPublic) as JSON bytes, and whose loan it is."""

    borrower_id: str
    body: bytes


@dataclass(frozen=True, slots=True)
class LoanDetail:
    facts: LoanFacts
    product_code: str
    product_version: int
    principal: Money
    rate: Decimal
    apr: Decimal
    term: int
    frequency: Frequency
    method: Method
    open_date: date
    maturity_date: date
    installment: Money
    accrued_interest: Money
    interest_due: Money
    penalty_due: Money
    fees_due: Money
    first_delinquency_date: date | None
    charged_off: Money  # every receivable moved to credit loss at charge-off (0 while active)
    recovered: Money  # received after the charge-off, as recovery income
    origination_fee: Money  # agreed in the offer: kept back from the proceeds or financed in the principal
    schedule: tuple[InstallmentView, ...] = field(default=())
    grade: str = ""  # the risk grade it was offered at (lending/grades.py); "" where none is known
    approved: Money | None = None  # a multi-disbursement loan's approved amount (None: disbursed once)
    tranches: int = 1  # how many tranches were paid out (`principal` is their sum)

    @property
    def disbursed(self) -> Money:
        """What reached the borrower's card: the principal less the fee (deducted, or financed into it)."""
        return self.principal - self.origination_fee


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    loan_id: str
    as_of: date
    principal: Money
    interest: Money  # billed and accrued to the date
    penalty: Money
    fees: Money
    prepayment_fee: Money
    total: Money


@dataclass(frozen=True, slots=True)
class PastRepayment:
    """A repayment an imported loan received before it came to fairlend, applied on its own business date."""

    on: date
    amount: Money
    reference: str = ""


def past_repayments_in_order(
    repayments: Sequence[PastRepayment], open_date: date, today: date, currency: str
) -> tuple[PastRepayment, ...]:
    """The repayments by date (same-day ones in the order given); refused unless each is positive, in the
    loan's currency and dated from the open date through today."""
    for r in repayments:
        if r.amount.currency != currency:
            raise Invalid(
                "currency_mismatch", f"the repayment of {r.on} is in {r.amount.currency}, the loan in {currency}"
            )
        if r.amount.minor <= 0:
            raise Invalid("past_repayment_not_positive", f"the repayment of {r.on} must be positive")
        if r.on < open_date:
            raise Invalid("past_repayment_before_open", f"the repayment of {r.on} is before the open date {open_date}")
        if r.on > today:
            raise Invalid("past_repayment_after_today", f"the repayment of {r.on} is after the business date {today}")
    return tuple(sorted(repayments, key=lambda r: r.on))


@dataclass(frozen=True, slots=True)
class RepaymentResult:
    repayment_id: str
    loan_id: str
    amount: Money
    principal_paid: Money
    interest_paid: Money
    penalty_paid: Money
    fees_paid: Money
    prepayment_fee: Money
    refunded: Money  # paid beyond the payoff, held as the borrower's credit
    outstanding_principal: Money  # for a recovery: what is still owed of the amount charged off
    days_past_due: int
    state: LoanState
    kind: RepaymentKind = RepaymentKind.REPAYMENT
