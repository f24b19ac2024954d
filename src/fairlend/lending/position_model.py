"""A running loan as a change to it sees it, and the change lending applies: pure data.

What another context (hardship) reads of a loan (`LoanPosition`, its
`RemainingInstallment`s and `InstallmentState`s) and asks lending to apply
(`ScheduleChange` of `PlannedInstallment`s); lending's own changes inside a
schedule (a rate change, a balance correction, a tranche) use the same. The
products and loan states these refer to are in model.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fairlend.lending.model import DayCount, EmiMethod, Frequency, LoanState, Method
from fairlend.money import Rounding


@dataclass(frozen=True, slots=True)
class RemainingInstallment:
    """An installment of the current schedule not billed yet."""

    seq: int
    start: date
    due: date
    principal: int
    interest: int


@dataclass(frozen=True, slots=True)
class LoanPosition:
    """A loan as a modification sees it on `as_of`: the terms, what is owed, what was paid, what is to come.

    `owed` is everything the loan has charged and not been paid: its principal
    (billed or not), interest billed and interest accrued to date, penalty and
    fees. Interest not accrued yet is no debt: it is the price of the time to come.
    """

    loan_id: str
    borrower_id: str
    currency: str
    state: LoanState
    product_code: str
    product_version: int
    method: Method
    frequency: Frequency
    day_count: DayCount
    rounding: Rounding
    installment_rounding: int
    rate: Decimal
    open_date: date
    max_term: int  # the product's, in periods from the open date; 0: none
    grace_days: int
    as_of: date
    schedule_version: int
    installment: int  # the current regular installment
    principal: int  # outstanding, billed or not
    principal_billed: int  # of which billed and unpaid
    interest_billed: int
    accrued_interest: int
    penalty: int
    fees: int
    paid: int  # everything received so far (principal, interest, penalty, fees)
    days_past_due: int
    last_due: date  # the current schedule's last due date
    remaining: tuple[RemainingInstallment, ...]
    # The product's installment settings a change re-amortises by, as the original schedule was built
    # (rounding and installment_rounding above): the EMI method and re-balancing.
    emi_method: EmiMethod = EmiMethod.NOMINAL
    rebalance_installment: bool = False

    @property
    def owed(self) -> int:
        return self.principal + self.interest_billed + self.accrued_interest + self.penalty + self.fees

    @property
    def balances(self) -> tuple[int, ...]:
        """What must not have moved between a proposal and its acceptance."""
        return (
            self.principal,
            self.principal_billed,
            self.interest_billed,
            self.accrued_interest,
            self.penalty,
            self.fees,
            self.schedule_version,
        )


@dataclass(frozen=True, slots=True)
class PlannedInstallment:
    """One due date of a modified schedule.

    `principal` and `interest` are the new schedule's own: the principal is
    billed on the due date and the interest accrues day by day over
    `start`..`due`, as in any schedule. The `arrears_*` parts are what the loan
    already owed (billed or accrued interest, fees and carried penalty, and for
    a settlement its principal), carried to this due date without interest.
    """

    start: date
    due: date
    principal: int
    interest: int
    arrears_principal: int = 0
    arrears_interest: int = 0
    arrears_fee: int = 0

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.arrears_principal + self.arrears_interest + self.arrears_fee

    @property
    def debt(self) -> int:
        """The part of the installment that repays what was owed when the schedule changed."""
        return self.principal + self.arrears_principal + self.arrears_interest + self.arrears_fee


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """A new schedule version for a loan, with what the lender gives up, as lending applies it.

    `expected` is the loan's `LoanPosition.balances` the change was computed
    from: lending refuses a change whose loan has moved since (a repayment,
    a day's interest). Waived interest comes off billed interest first, then
    accrued. The installments must carry exactly what is owed less what is
    waived; lending checks it.
    """

    loan_id: str
    kind: str  # what made it, e.g. "interest_stop"
    reference: str  # the plan's id
    expected: tuple[int, ...]
    rate: Decimal
    installments: tuple[PlannedInstallment, ...]
    waived_interest: int = 0
    waived_fees: int = 0
    waived_penalty: int = 0
    written_off_principal: int = 0
    stop_penalty: bool = False  # no penalty interest on the new schedule (an interest stop)
    method: Method | None = None  # the new schedule's amortisation, when it changes (a prepayment re-amortises by it)
    # Keep the days past due and bucket as reported until `release_delinquency` (a re-age or a broken plan).
    hold_delinquency: bool = False
    # A lender's own change inside the schedule (a rate change, a balance correction, a tranche), not a plan:
    # the bureau is told the new balance instead of a modification code (lending_reporting/plans.py).
    plan: bool = True
    disbursed_principal: int = 0  # a tranche paid out with the change: the new schedule amortises it too
    operator_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class InstallmentState:
    """How one installment stands: when it falls due, when it is late, what it still owes, when it was paid."""

    seq: int
    due: date
    late: date  # the due date plus the loan's grace days: unpaid at this day's end, it is late
    amount: int
    outstanding: int
    paid_on: date | None
