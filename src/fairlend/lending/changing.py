"""A lender's changes inside a running schedule: a rate change from a date, a balance correction.

Each is the one mechanism of `schedule/rebuild.py` (what remains rebuilt from
the business date with new terms, interest earned so far carried), applied
by `modify_in` as a new schedule version, exactly as a hardship plan's
reschedule is: the old schedule kept, the concessions posted, `LoanModified`
published (with `plan` False: the bureau is told the new balance and terms,
not a modification code; docs/lending.md, "Changes inside a schedule").

What they refuse, each with a stable code and nothing written: a loan that is
not active (`loan_not_active`), one with anything due and unpaid
(`loan_has_dues`: carried to a later date it would re-age the loan, which
only a hardship plan may do), one whose arrears a plan carries over several
dates (`loan_under_plan`), a rate above the
profile's cap (`rate_above_cap`, 403 naming the rule) or a new schedule whose
APR is (`apr_above_cap`).

A flat-interest loan is changed on its flat base (its principal as disbursed,
less balance corrections, `loan.principal_corrected`, lending_0012): a new
rate prices the periods after it on that base, a correction lowers the base
with the principal (docs/lending.md, "Flat interest").

Every change is an operator's: the schedule version row names the operator
(`reference`), the event names the operator and the reason, and the API and
CLI let only operators call them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Invalid, PolicyViolation
from fairlend.lending.model import InterestMethod, LoanState
from fairlend.lending.modifying import LoanModifications
from fairlend.lending.position_model import LoanPosition, PlannedInstallment, ScheduleChange
from fairlend.lending.products import load_product
from fairlend.lending.queries import money_in
from fairlend.lending.schedule.rebuild import (
    Rebuild,
    earned,
    kept_before,
    rebuild,
    regular_installment,
    remaining_apr,
    remaining_periods,
)
from fairlend.lending.subledger import OPEN_INSTALLMENTS, UPDATE_LOAN
from fairlend.lending.views import ScheduleChanged
from fairlend.money import Money

RATE_CHANGE = "rate_change"
BALANCE_CORRECTION = "balance_correction"


class LoanChanges(LoanModifications):
    """Rate changes and balance corrections: new schedule versions an operator makes (changing.py)."""

    def change_rate(
        self, loan_id: str, rate: Decimal, *, operator_id: str, effective: date | None = None, reason: str = ""
    ) -> ScheduleChanged:
        """The loan's rate from `effective` (the business date by default, or any later day before the
        maturity date): what remains is rebuilt over the same due dates, the installments due on or before
        `effective` kept as they are, the period containing it split by its day count, the rest amortised
        at the new rate; the interest earned so far at the old rate is carried onto the next installment."""
        _require_operator(operator_id)
        if not rate.is_finite() or rate < 0:
            raise Invalid("rate_invalid", "the rate is a yearly fraction of at least 0, e.g. 0.12")
        pricing = self._profile.pricing
        if rate > pricing.apr_cap:
            raise PolicyViolation(
                "rate_above_cap",
                f"the rate {rate} is above the cap {pricing.apr_cap} ({pricing.apr_cap_rule})",
                rules=[pricing.apr_cap_rule],
                rate=str(rate),
                cap=str(pricing.apr_cap),
            )
        with self._uow() as uow:
            position = self._changeable(uow, loan_id)
            periods = remaining_periods(position)
            day = effective or position.as_of
            if not position.as_of <= day < periods[-1].due:
                raise Invalid(
                    "effective_date_out_of_range",
                    f"a rate changes from {position.as_of} (the business date) to the day before {periods[-1].due}"
                    " (the maturity date)",
                )
            interest, charges = earned(position)
            lines = rebuild(
                position,
                Rebuild(
                    position.principal,
                    rate,
                    periods,
                    position.method,
                    carried_interest=interest,
                    carried_charges=charges,
                    carry_over=1,
                    rate_from=day if day > position.as_of else None,
                    previous_rate=position.rate,
                    kept_principal=kept_before(position, periods, day),
                    flat_on=self._flat_on(uow, position),
                ),
            )
            done = self._apply(uow, position, RATE_CHANGE, rate, lines, operator_id, reason)
            uow.commit()
        return done

    def correct_balance(self, loan_id: str, reduce_by: Money, *, operator_id: str, reason: str) -> ScheduleChanged:
        """Lower the principal owed by `reduce_by` (a balance booked too high), the rest re-amortised over
        the same due dates at the same rate. The amount leaves the loan's principal to credit loss, and the
        notes bear it pro rata, as a plan's written-off principal. A balance is never corrected upwards:
        more principal is a disbursement (a tranche), never an entry without money paid out."""
        _require_operator(operator_id)
        if not reason.strip():
            raise Invalid("reason_required", "a balance correction says why")
        if reduce_by.minor <= 0:
            raise Invalid("amount_not_positive", "a correction lowers the principal by a positive amount")
        with self._uow() as uow:
            position = self._changeable(uow, loan_id)
            if reduce_by.currency != position.currency:
                raise Invalid("currency_mismatch", f"loan {loan_id} is in {position.currency}")
            if reduce_by.minor >= position.principal:
                raise Invalid(
                    "correction_exceeds_principal",
                    f"the principal is {position.principal} minor units; settle or write the loan off instead",
                )
            interest, charges = earned(position)
            flat_on = self._flat_on(uow, position)
            lines = rebuild(
                position,
                Rebuild(
                    position.principal - reduce_by.minor,
                    position.rate,
                    remaining_periods(position),
                    position.method,
                    carried_interest=interest,
                    carried_charges=charges,
                    carry_over=1,
                    # The principal was booked too high, so was a flat loan's interest on it: both come down.
                    flat_on=None if flat_on is None else flat_on - reduce_by.minor,
                ),
            )
            done = self._apply(
                uow,
                position,
                BALANCE_CORRECTION,
                position.rate,
                lines,
                operator_id,
                reason,
                written_off=reduce_by.minor,
            )
            ln = self._load(uow, loan_id)
            uow.conn.execute(
                UPDATE_LOAN.values(principal_corrected=ln.principal_corrected + reduce_by.minor),
                {"b_borrower_id": ln.borrower_id, "b_loan_id": ln.id},
            )
            uow.commit()
        return done

    # -- the shared steps --------------------------------------------------------------------------------

    def _changeable(self, uow: UnitOfWork, loan_id: str) -> LoanPosition:
        """The loan's position, its row locked; refused unless a lender's change may rebuild it."""
        position = self.position_in(uow, loan_id)
        if position.state is not LoanState.ACTIVE:
            raise Conflict("loan_not_active", f"loan {loan_id} is {position.state.value}")
        rows = uow.conn.execute(OPEN_INSTALLMENTS, {"borrower_id": position.borrower_id, "loan_id": loan_id}).all()
        billed_on = {
            i.due_date
            for i in rows
            if i.billed and i.principal - i.principal_paid + i.interest - i.interest_paid + i.fee - i.fee_paid > 0
        }
        if position.days_past_due or position.penalty or any(due <= position.as_of for due in billed_on):
            raise Conflict(
                "loan_has_dues",
                f"loan {loan_id} has amounts due and unpaid; they are paid first (or a hardship plan reschedules them)",
            )
        if billed_on - {remaining_periods(position)[0].due}:
            # Carried over several dates by a plan: carrying them all to the next date would ask for them at once.
            raise Conflict("loan_under_plan", f"loan {loan_id} carries arrears over a plan's dates; change the plan")
        return position

    def _flat_on(self, uow: UnitOfWork, position: LoanPosition) -> int | None:
        """A flat-interest loan's interest base: its principal as disbursed (every tranche), less what balance
        corrections took off; None for a loan on the declining balance (docs/lending.md, "Flat interest")."""
        product = load_product(uow.conn, position.product_code, position.product_version)
        if product.interest_method is not InterestMethod.FLAT:
            return None
        ln = self._load(uow, position.loan_id)
        return int(ln.principal - ln.principal_corrected)

    def _apply(
        self,
        uow: UnitOfWork,
        position: LoanPosition,
        kind: str,
        rate: Decimal,
        lines: tuple[PlannedInstallment, ...],
        operator_id: str,
        reason: str,
        *,
        written_off: int = 0,
        disbursed: int = 0,
    ) -> ScheduleChanged:
        """Check the new schedule's APR, then apply it as a new version (modify_in), in the caller's unit."""
        pricing = self._profile.pricing
        apr = remaining_apr(position, lines, pricing)
        if apr > pricing.apr_cap:
            raise PolicyViolation(
                "apr_above_cap",
                f"the new schedule's APR of {apr * 100:.2f}% is above the cap of {pricing.apr_cap * 100:.2f}%"
                f" ({pricing.apr_cap_rule})",
                rules=[pricing.apr_cap_rule],
                apr=str(apr),
                cap=str(pricing.apr_cap),
            )
        change = ScheduleChange(
            loan_id=position.loan_id,
            kind=kind,
            reference=operator_id,
            expected=position.balances,
            rate=rate,
            installments=lines,
            written_off_principal=written_off,
            plan=False,
            disbursed_principal=disbursed,
            operator_id=operator_id,
            reason=reason[:200],
        )
        version, _ = self.modify_in(uow, change, today=position.as_of)
        money = money_in(position.currency)
        return ScheduleChanged(
            loan_id=position.loan_id,
            kind=kind,
            schedule_version=version,
            rate=rate,
            apr=apr,
            principal_outstanding=money(sum(line.principal + line.arrears_principal for line in lines)),
            installment=money(regular_installment(lines)),
            installments=len(lines),
            first_due_date=lines[0].due,
            maturity_date=lines[-1].due,
            carried_interest=money(sum(line.arrears_interest for line in lines)),
            written_off=money(written_off),
            disbursed=money(disbursed),
        )


def _require_operator(operator_id: str) -> None:
    if not operator_id.strip():
        raise Invalid("operator_required", "a change inside a schedule names the operator who makes it")
