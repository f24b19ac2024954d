"""The new schedule of each kind of plan, as pure functions of the loan's position and the terms.

Every kind works the same way underneath, with lending's own amortisation
(`lending.schedule.amortize`, `interest_for`): the loan's whole principal,
billed or not, is scheduled afresh from the plan's first day, with interest
for the time to come; what the loan already owed beyond principal (interest
billed or accrued, fees, penalty), less what is waived, is carried without
interest and spread evenly over the plan's installments (largest remainder:
no fen made or lost). So for every kind, exactly:

    sum of the installments' debt parts == owed - concessions.owed
    (paid so far) + (that) == (everything the loan charged) - concessions.owed

and the installments' own interest is the plan's cost. The due dates keep the
loan's cadence from its next due date (`anchor_of`). Validation is in
`checks.py`: these functions assume terms that passed it and never raise
for them, except lending's own refusals (`schedule_negative_principal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from fairlend.hardship.model import Concessions, Kind, Plan, Terms
from fairlend.jurisdiction.model import HardshipProfile, HolidayInterest
from fairlend.lending.model import Frequency, Method
from fairlend.lending.position_model import LoanPosition, PlannedInstallment
from fairlend.lending.schedule import Period, due_date, interest_for
from fairlend.lending.schedule.rebuild import (
    Rebuild,
    anchor_of,
    dues_from,
    earned,
    periods_for,
    rebuild,
    remaining_count,
    spread,
)


def carried(position: LoanPosition, terms: Terms) -> tuple[int, int]:
    """Interest and charges (fees and penalty) the plan carries: what was earned less what is waived."""
    interest, charges = earned(position)
    interest -= terms.waive_interest
    charges -= terms.waive_fees + terms.waive_penalty
    return max(0, interest), max(0, charges)


def rebuilt(
    position: LoanPosition,
    terms: Terms,
    rate: Decimal,
    periods: tuple[Period, ...],
    method: Method,
    *,
    interest_only: int = 0,
    fixed: int = 0,
    installment: int = 0,
    carry_from: int = 0,
) -> tuple[PlannedInstallment, ...]:
    """What remains of the loan rebuilt on the plan's periods (lending's `Rebuild`, the one mechanism),
    carrying what was earned less what the plan waives."""
    interest, charges = carried(position, terms)
    terms_left = Rebuild(
        position.principal,
        rate,
        periods,
        method,
        interest_only=interest_only,
        fixed=fixed,
        installment=installment,
        carried_interest=interest,
        carried_charges=charges,
        carry_from=carry_from,
    )
    return rebuild(position, terms_left)


def future_interest(position: LoanPosition) -> int:
    """Interest the current schedule would still charge for the time to come (not accrued yet)."""
    return max(0, sum(r.interest for r in position.remaining) - position.accrued_interest)


def _waivers(terms: Terms) -> Concessions:
    return Concessions(interest=terms.waive_interest, fees=terms.waive_fees, penalty=terms.waive_penalty)


def _forgone(position: LoanPosition, lines: tuple[PlannedInstallment, ...]) -> int:
    return max(0, future_interest(position) - sum(line.interest for line in lines))


# -- the kinds ----------------------------------------------------------------------------------------


def payment_holiday(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """No payment for `periods` due dates; the installments to come follow, one period each, the term N longer.

    The holiday's interest (on the principal, from today to the end of the
    holiday) is spread over the installments after it, or waived, as the
    profile's rule for the kind says.
    """
    n, freq, as_of = terms.periods, position.frequency, position.as_of
    anchor = anchor_of(position)
    holiday_end = due_date(anchor, freq, n - 1)
    dues = dues_from(anchor, freq, remaining_count(position), skip=n)
    monthly = freq is Frequency.MONTHLY
    periods = (Period(holiday_end, dues[0], 1 if monthly else None), *periods_for(dues[0], dues, freq)[1:])
    lines = rebuilt(position, terms, position.rate, periods, position.method)
    holiday = interest_for(
        position.principal, position.rate, Period(as_of, holiday_end), position.day_count, position.rounding
    )
    forgone = 0
    if rules.payment_holiday.interest is HolidayInterest.ACCRUE:
        lines = tuple(
            replace(line, interest=line.interest + part)
            for line, part in zip(lines, spread(holiday, len(lines)), strict=True)
        )
    else:
        forgone = holiday
    return Plan(lines, position.rate, forgone, concessions=_waivers(terms))


def term_extension(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """`periods` more installments, the principal re-amortised over all of them by `method`."""
    freq = position.frequency
    dues = dues_from(anchor_of(position), freq, remaining_count(position) + terms.periods)
    lines = rebuilt(
        position, terms, position.rate, periods_for(position.as_of, dues, freq), terms.method or position.method
    )
    return Plan(lines, position.rate, _forgone(position, lines), concessions=_waivers(terms))


def reduced_installments(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """`periods` installments of `installment` (interest first, the rest principal), then the balance
    re-amortised over the installments left, `extra_periods` more. What the loan owed beyond principal
    waits for the re-amortised installments."""
    freq, n = position.frequency, terms.periods
    dues = dues_from(anchor_of(position), freq, remaining_count(position) + terms.extra_periods)
    lines = rebuilt(
        position,
        terms,
        position.rate,
        periods_for(position.as_of, dues, freq),
        position.method,
        fixed=n,
        installment=terms.installment,
        carry_from=n,
    )
    return Plan(lines, position.rate, _forgone(position, lines), concessions=_waivers(terms))


def interest_stop(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """停息挂账: no interest and no penalty from today; the principal in `periods` equal parts, what was
    owed beyond it spread the same way."""
    freq = position.frequency
    dues = dues_from(anchor_of(position), freq, terms.periods)
    rate = Decimal(0)
    lines = rebuilt(position, terms, rate, periods_for(position.as_of, dues, freq), Method.EQUAL_PRINCIPAL)
    return Plan(lines, rate, future_interest(position), stop_penalty=True, concessions=_waivers(terms))


def discounted_settlement(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """One payment of `amount` by `pay_by` settles the loan. What is forgiven comes off penalty first,
    then fees, then interest, then principal, so the note holders keep as much principal as the sum allows."""
    forgive = max(0, position.owed - terms.amount)
    penalty = min(forgive, position.penalty)
    forgive -= penalty
    fees = min(forgive, position.fees)
    forgive -= fees
    interest_owed = position.interest_billed + position.accrued_interest
    interest = min(forgive, interest_owed)
    principal = min(forgive - interest, position.principal)
    assert terms.pay_by is not None
    line = PlannedInstallment(
        start=position.as_of,
        due=terms.pay_by,
        principal=0,
        interest=0,
        arrears_principal=position.principal - principal,
        arrears_interest=interest_owed - interest,
        arrears_fee=position.fees - fees + position.penalty - penalty,
    )
    return Plan((line,), position.rate, 0, concessions=Concessions(interest, fees, penalty, principal))


def operator_reschedule(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """Fineract-style: due dates moved to start on `first_due`, the rate changed, `periods` of grace
    (interest only) before the principal is re-amortised over the installments left."""
    freq = position.frequency
    rate = position.rate if terms.rate is None else terms.rate
    first = terms.first_due or anchor_of(position)
    dues = dues_from(first, freq, remaining_count(position))
    lines = rebuilt(
        position, terms, rate, periods_for(position.as_of, dues, freq), position.method, interest_only=terms.periods
    )
    return Plan(lines, rate, _forgone(position, lines), concessions=_waivers(terms))


PLANS: dict[Kind, Callable[[LoanPosition, Terms, HardshipProfile], Plan]] = {
    Kind.PAYMENT_HOLIDAY: payment_holiday,
    Kind.TERM_EXTENSION: term_extension,
    Kind.REDUCED_INSTALLMENTS: reduced_installments,
    Kind.INTEREST_STOP: interest_stop,
    Kind.DISCOUNTED_SETTLEMENT: discounted_settlement,
    Kind.OPERATOR_RESCHEDULE: operator_reschedule,
}
