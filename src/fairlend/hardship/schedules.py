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

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from fairlend.hardship.model import Concessions, Kind, Plan, Terms
from fairlend.jurisdiction.model import HardshipProfile, HolidayInterest
from fairlend.lending.model import Frequency, LoanPosition, Method, PlannedInstallment
from fairlend.lending.schedule import Line, Period, amortize, due_date, interest_for


def anchor_of(position: LoanPosition) -> date:
    """The loan's next due date after its position's day: its first installment not billed yet, or the
    next date in its cadence after its last due date (a loan past maturity)."""
    future = [r.due for r in position.remaining if r.due > position.as_of]
    if future:
        return min(future)
    k = 1
    while (nxt := due_date(position.last_due, position.frequency, k)) <= position.as_of:
        k += 1
    return nxt


def remaining_count(position: LoanPosition) -> int:
    """How many installments the current schedule still has to come (at least one: a plan has a due date)."""
    return max(1, len(position.remaining))


def dues_from(first: date, frequency: Frequency, count: int, skip: int = 0) -> list[date]:
    return [due_date(first, frequency, skip + k) for k in range(count)]


def periods_for(start: date, dues: Sequence[date], frequency: Frequency) -> list[Period]:
    """The first period runs from `start` (the plan's first day) to the first due date; the rest are regular."""
    monthly = frequency is Frequency.MONTHLY
    periods = [Period(start, dues[0])]
    periods += [Period(a, b, 1 if monthly else None) for a, b in itertools.pairwise(dues)]
    return periods


def spread(amount: int, count: int) -> list[int]:
    """`amount` in `count` parts that differ by at most one unit, the larger first; they sum to it exactly."""
    if count <= 0:
        return []
    base, extra = divmod(amount, count)
    return [base + (1 if k < extra else 0) for k in range(count)]


def carried(position: LoanPosition, terms: Terms) -> tuple[int, int]:
    """Interest and charges (fees and penalty) the plan carries: what was owed less what is waived."""
    interest = position.interest_billed + position.accrued_interest - terms.waive_interest
    charges = position.fees + position.penalty - terms.waive_fees - terms.waive_penalty
    return max(0, interest), max(0, charges)


def future_interest(position: LoanPosition) -> int:
    """Interest the current schedule would still charge for the time to come (not accrued yet)."""
    return max(0, sum(r.interest for r in position.remaining) - position.accrued_interest)


def _lines(lines: Sequence[Line], start: date, periods: Sequence[Period]) -> list[PlannedInstallment]:
    """Lending's amortised lines as plan installments, the first starting on the plan's first day.

    With no principal left to amortise (a loan owing only interest and fees)
    the periods still give the due dates the carried arrears are spread over.
    """
    if lines:
        out = [PlannedInstallment(line.start, line.due, line.principal, line.interest) for line in lines]
    else:
        out = [PlannedInstallment(p.start, p.due, 0, 0) for p in periods]
    if out:
        out[0] = replace(out[0], start=start)
    return out


def _with_arrears(
    lines: list[PlannedInstallment], interest: int, charges: int, *, first: int = 0
) -> tuple[PlannedInstallment, ...]:
    """Spread what the loan owed beyond principal over the installments from `first` on."""
    count = len(lines) - first
    if count <= 0:
        first, count = 0, len(lines)
    parts = zip(spread(interest, count), spread(charges, count), strict=True)
    out = list(lines)
    for k, (i, c) in enumerate(parts):
        out[first + k] = replace(out[first + k], arrears_interest=i, arrears_fee=c)
    return tuple(out)


def _waivers(terms: Terms) -> Concessions:
    return Concessions(interest=terms.waive_interest, fees=terms.waive_fees, penalty=terms.waive_penalty)


def _amortize(
    position: LoanPosition, balance: int, rate: Decimal, periods: Sequence[Period], method: Method
) -> list[Line]:
    return amortize(
        balance,
        rate,
        periods,
        method,
        position.frequency,
        position.day_count,
        position.rounding,
        position.installment_rounding,
    )


def _forgone(position: LoanPosition, lines: Sequence[PlannedInstallment]) -> int:
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
    periods = [Period(holiday_end, dues[0], 1 if monthly else None), *periods_for(dues[0], dues, freq)[1:]]
    lines = _lines(_amortize(position, position.principal, position.rate, periods, position.method), as_of, periods)
    holiday = interest_for(
        position.principal, position.rate, Period(as_of, holiday_end), position.day_count, position.rounding
    )
    forgone = 0
    if rules.payment_holiday.interest is HolidayInterest.ACCRUE:
        lines = [
            replace(line, interest=line.interest + part)
            for line, part in zip(lines, spread(holiday, len(lines)), strict=True)
        ]
    else:
        forgone = holiday
    interest, charges = carried(position, terms)
    return Plan(_with_arrears(lines, interest, charges), position.rate, forgone, concessions=_waivers(terms))


def term_extension(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """`periods` more installments, the principal re-amortised over all of them by `method`."""
    freq = position.frequency
    dues = dues_from(anchor_of(position), freq, remaining_count(position) + terms.periods)
    method = terms.method or position.method
    periods = periods_for(position.as_of, dues, freq)
    lines = _lines(_amortize(position, position.principal, position.rate, periods, method), position.as_of, periods)
    interest, charges = carried(position, terms)
    return Plan(
        _with_arrears(lines, interest, charges), position.rate, _forgone(position, lines), concessions=_waivers(terms)
    )


def reduced_installments(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """`periods` installments of `installment` (interest first, the rest principal), then the balance
    re-amortised over the installments left, `extra_periods` more. What the loan owed beyond principal
    waits for the re-amortised installments."""
    freq, n = position.frequency, terms.periods
    dues = dues_from(anchor_of(position), freq, remaining_count(position) + terms.extra_periods)
    periods = periods_for(position.as_of, dues, freq)
    balance = position.principal
    lines: list[PlannedInstallment] = []
    for period in periods[:n]:
        interest = interest_for(balance, position.rate, period, position.day_count, position.rounding)
        principal = min(balance, max(0, terms.installment - interest))
        balance -= principal
        lines.append(PlannedInstallment(period.start, period.due, principal, interest))
    rest = _amortize(position, balance, position.rate, periods[n:], position.method)
    lines += _lines(rest, periods[n].start, periods[n:]) if len(periods) > n else []
    interest, charges = carried(position, terms)
    return Plan(
        _with_arrears(lines, interest, charges, first=n),
        position.rate,
        _forgone(position, lines),
        concessions=_waivers(terms),
    )


def interest_stop(position: LoanPosition, terms: Terms, rules: HardshipProfile) -> Plan:
    """停息挂账: no interest and no penalty from today; the principal in `periods` equal parts, what was
    owed beyond it spread the same way."""
    freq = position.frequency
    dues = dues_from(anchor_of(position), freq, terms.periods)
    periods = periods_for(position.as_of, dues, freq)
    rate = Decimal(0)
    lines = _lines(
        _amortize(position, position.principal, rate, periods, Method.EQUAL_PRINCIPAL), position.as_of, periods
    )
    interest, charges = carried(position, terms)
    return Plan(
        _with_arrears(lines, interest, charges),
        rate,
        future_interest(position),
        stop_penalty=True,
        concessions=_waivers(terms),
    )


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
    periods = periods_for(position.as_of, dues, freq)
    g = terms.periods
    lines = [
        PlannedInstallment(
            p.start, p.due, 0, interest_for(position.principal, rate, p, position.day_count, position.rounding)
        )
        for p in periods[:g]
    ]
    rest = _amortize(position, position.principal, rate, periods[g:], position.method)
    lines += _lines(rest, periods[g].start, periods[g:]) if len(periods) > g else []
    interest, charges = carried(position, terms)
    return Plan(_with_arrears(lines, interest, charges), rate, _forgone(position, lines), concessions=_waivers(terms))


PLANS: dict[Kind, Callable[[LoanPosition, Terms, HardshipProfile], Plan]] = {
    Kind.PAYMENT_HOLIDAY: payment_holiday,
    Kind.TERM_EXTENSION: term_extension,
    Kind.REDUCED_INSTALLMENTS: reduced_installments,
    Kind.INTEREST_STOP: interest_stop,
    Kind.DISCOUNTED_SETTLEMENT: discounted_settlement,
    Kind.OPERATOR_RESCHEDULE: operator_reschedule,
}
