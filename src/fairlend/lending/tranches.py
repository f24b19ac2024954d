"""Multi-disbursement loans: an approved amount paid out in tranches, the schedule re-computed at each.

A loan booked with `approved` (on a product whose `max_tranches` is above 1)
disburses its first tranche at booking, on the usual schedule. Each later
tranche is the one mechanism of changes inside a schedule
(`schedule/rebuild.py`): the journal pays it out (loan principal against the
platform's cash), and what remains is rebuilt from the business date on the
principal owed plus the tranche, over the same due dates at the same rate,
the interest earned so far carried to the next due date; `modify_in` applies
it as a new schedule version and `LoanModified` (`plan` false, with
`disbursed_principal`) tells the bureau the new balance.

Only the platform funds tranches. A loan the market's notes fund is owned by
its notes in shares of the amount they paid; a later tranche from the
platform would change every note's share of the loan, which the market does
not model (its notes are sized once, at funding). So a booking that is both
note-funded and multi-disbursement is refused (`tranches_on_note_funded_loan`),
and a note-funded loan, booked without an approved amount, takes no tranche
(`loan_not_multi_disbursement`).
"""

from __future__ import annotations

from fairlend.errors import Conflict, Invalid
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.lending.changing import LoanChanges
from fairlend.lending.model import Product
from fairlend.lending.products import load_product
from fairlend.lending.schedule.rebuild import Rebuild, earned, rebuild, remaining_periods
from fairlend.lending.subledger import UPDATE_LOAN
from fairlend.lending.views import ScheduleChanged
from fairlend.money import Money

TRANCHE = "tranche"


def approved_tranches(product: Product, first: Money, approved: Money, *, noted: bool, imported: bool) -> None:
    """Refuse a multi-disbursement booking that cannot be one; the refusal names why."""
    if noted:
        raise Invalid(
            "tranches_on_note_funded_loan",
            "a loan the market's notes fund is disbursed once: its notes' shares are fixed at funding",
        )
    if product.max_tranches < 2:
        raise Invalid("product_single_disbursement", f"{product.code} is disbursed once (max_tranches 1)")
    if imported:
        raise Invalid("tranches_not_imported", "an imported loan is booked as disbursed, without an approved amount")
    if approved.currency != product.currency:
        raise Invalid("currency_mismatch", f"{product.code} lends in {product.currency}")
    if approved.minor < first.minor:
        raise Invalid("approved_below_first_tranche", "the approved amount is at least the first tranche")
    if product.max_amount and approved.minor > product.max_amount:
        raise Invalid("approved_above_product_max", f"{product.code} lends at most {product.max_amount} minor units")


class LoanTranches(LoanChanges):
    """Tranches of a multi-disbursement loan, on top of the other changes inside a schedule."""

    def disburse_tranche(
        self,
        loan_id: str,
        amount: Money,
        *,
        operator_id: str,
        reason: str = "",
        funded_from: AccountKey | None = None,
    ) -> ScheduleChanged:
        """Pay out `amount` more of the approved amount today; what remains re-computed with it.

        Refused, with nothing written: a loan booked without an approved amount
        (`loan_not_multi_disbursement`), more tranches than the product allows
        (`tranche_limit_reached`), more than the approved amount
        (`tranche_above_approved`), and whatever refuses any change inside a
        schedule (changing.py: `loan_has_dues`, `apr_above_cap`, ...).
        """
        if not operator_id.strip():
            raise Invalid("operator_required", "a tranche names the operator who pays it out")
        if amount.minor <= 0:
            raise Invalid("amount_not_positive", "a tranche is a positive amount")
        with self._uow() as uow:
            ln = self._load(uow, loan_id)
            if ln.approved_amount <= 0:
                raise Conflict("loan_not_multi_disbursement", f"loan {loan_id} was booked as a single disbursement")
            position = self._changeable(uow, loan_id)
            if amount.currency != position.currency:
                raise Invalid("currency_mismatch", f"loan {loan_id} is in {position.currency}")
            product = load_product(uow.conn, position.product_code, position.product_version)
            if ln.tranches >= product.max_tranches:
                raise Conflict(
                    "tranche_limit_reached", f"{product.code} pays out at most {product.max_tranches} tranches"
                )
            left = ln.approved_amount - ln.principal
            if amount.minor > left:
                raise Invalid("tranche_above_approved", f"{left} minor units of the approved amount are left")
            interest, charges = earned(position)
            lines = rebuild(
                position,
                Rebuild(
                    position.principal + amount.minor,
                    position.rate,
                    remaining_periods(position),
                    position.method,
                    carried_interest=interest,
                    carried_charges=charges,
                    carry_over=1,
                ),
            )
            today = position.as_of
            source = funded_from or AccountKey(AccountType.PLATFORM_CASH, amount.currency)
            paid_out = (debit(AccountKey(AccountType.LOAN_PRINCIPAL, amount.currency), amount), credit(source, amount))
            self._ledger.post(uow, entry(today, "loan_tranche", *paid_out, reference=loan_id))
            done = self._apply(
                uow, position, TRANCHE, position.rate, lines, operator_id, reason, disbursed=amount.minor
            )
            uow.conn.execute(
                UPDATE_LOAN.values(principal=ln.principal + amount.minor, tranches=ln.tranches + 1),
                {"b_borrower_id": ln.borrower_id, "b_loan_id": ln.id},
            )
            uow.commit()
        return done
