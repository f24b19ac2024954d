"""Loan use cases: book and disburse, settle, charge off; repayments are in `repayment.py`.

Each use case is one transaction: the subledger rows, the journal entry and
the domain events commit together or not at all. Statements are built once
at import and take bound parameters, so the hot path (a repayment) costs a
handful of round trips and no statement compilation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, Select, select

from fairlend.batch.model import Partition
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, DomainError, Invalid, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType, Posting, credit, debit, entry
from fairlend.ledger.service import Ledger
from fairlend.lending import published
from fairlend.lending.answer_json import loan_json
from fairlend.lending.booking_rows import insert_loan
from fairlend.lending.closing import close_loan
from fairlend.lending.events import LoanChargedOff, LoanDisbursed, LoanWrittenOff
from fairlend.lending.files import RepaymentFiles
from fairlend.lending.grades import PricedGrade, checked_grade, grade_by_price
from fairlend.lending.importing import as_of, catch_up
from fairlend.lending.model import FeeTreatment, LoanState
from fairlend.lending.products import ProductCache, Products, Quote, load_product
from fairlend.lending.queries import detail_of
from fairlend.lending.recovery import recovered_of
from fairlend.lending.stored_answers import loan_keys_after, stored_answer, touch, write_answers
from fairlend.lending.subledger import (
    UPDATE_LOAN,
)
from fairlend.lending.tables import loan
from fairlend.lending.tranches import LoanTranches, approved_tranches
from fairlend.lending.views import LoanAnswer, PastRepayment, PayoffQuote, past_repayments_in_order
from fairlend.money import Money


class LendingService(LoanTranches):
    """Loans: booking, repayments, payoff, charge-off and write-off; the queries come from `LendingQueries`."""

    def __init__(
        self, uow: UnitOfWorkFactory, ledger: Ledger, profile: Profile, grades: Sequence[PricedGrade] = ()
    ) -> None:
        super().__init__(uow, ledger)
        self._profile = profile
        # Origination's price of each grade (bootstrap): grades a loan booked without one.
        self.grades = tuple(grades)
        self.products = Products(uow, profile)
        # Versions are immutable: the repayment hot path reads each one once per process.
        self._product_cache: ProductCache = {}
        self.files = RepaymentFiles(uow, profile, self._product_cache)

    # -- quotes and booking ----------------------------------------------------

    def quote(
        self,
        product_code: str,
        amount: Money,
        *,
        version: int | None = None,
        rate: Decimal | None = None,
        term: int | None = None,
        open_date: date | None = None,
        first_due_date: date | None = None,
        fee: Money | None = None,
        installment: Money | None = None,
        approved: Money | None = None,
    ) -> Quote:
        """A schedule, its totals and APR on a product; refused above the APR cap (PolicyViolation).

        `installment` fixes the equal installment instead of the term (the term is derived). With
        `approved`, a multi-disbursement loan: `amount` is its first tranche, checked as booking checks it.
        """
        with self._uow(read_only=True) as uow:
            product = load_product(uow.conn, product_code, version)
            on = open_date or uow.clock.business_date()
        if approved is not None:
            approved_tranches(product, amount, approved, noted=False, imported=False)
        quote = self.products.quote(
            product, amount, on, rate=rate, term=term, first_due_date=first_due_date, fee=fee, installment=installment
        )
        return quote if approved is None else replace(quote, approved=approved)

    def book_loan(
        self,
        borrower_id: str,
        product_code: str,
        amount: Money,
        *,
        version: int | None = None,
        rate: Decimal | None = None,
        term: int | None = None,
        open_date: date | None = None,
        first_due_date: date | None = None,
        funded_from: AccountKey | None = None,
        loan_id: str | None = None,
        fee: Money | None = None,
        repayments: Sequence[PastRepayment] = (),
        installment: Money | None = None,
        grade: str | None = None,
        approved: Money | None = None,
    ) -> str:
        """Book a loan and disburse it; the loan is active (or, repaid in full, settled) when this returns.

        Operators call it, an approved application funded by the platform alone
        calls it, and importing a portfolio calls it with a past `open_date` and
        the `repayments` already received: the loan is disbursed on its open date
        and caught up to today as end-of-day would have (installments billed,
        interest accrued, days past due, bucket), each past repayment applied
        through the waterfall on its own date (`importing.py`).
        `funded_from` is the account the proceeds leave (the platform's cash
        unless the market funds the loan from its notes); `fee` replaces the
        product's origination fee rate with an agreed amount. `grade` is the
        risk grade the loan was offered at; without one the loan is graded by
        its price (`grades.grade_by_price`). `approved` (on a product with `max_tranches` > 1) makes
        `amount` the first tranche of a multi-disbursement loan: `disburse_tranche` pays out the rest.
        """
        with self._uow() as uow:
            loan_id = self.book_loan_in(
                uow,
                borrower_id,
                product_code,
                amount,
                version=version,
                rate=rate,
                term=term,
                open_date=open_date,
                first_due_date=first_due_date,
                funded_from=funded_from,
                loan_id=loan_id,
                fee=fee,
                repayments=repayments,
                installment=installment,
                grade=grade,
                approved=approved,
            )
            uow.commit()
        return loan_id

    def book_loan_in(
        self,
        uow: UnitOfWork,
        borrower_id: str,
        product_code: str,
        amount: Money,
        *,
        version: int | None = None,
        rate: Decimal | None = None,
        term: int | None = None,
        open_date: date | None = None,
        first_due_date: date | None = None,
        funded_from: AccountKey | None = None,
        loan_id: str | None = None,
        fee: Money | None = None,
        repayments: Sequence[PastRepayment] = (),
        installment: Money | None = None,
        funding: Sequence[Posting] = (),
        grade: str | None = None,
        approved: Money | None = None,
    ) -> str:
        """`book_loan` in the caller's transaction (the market books as a listing funds); never commits.

        `funding`, when given, says how the proceeds (principal less fee) were paid, as postings
        that replace the single credit to `funded_from`: the market's notes (investors' cash out
        of custody, what partners paid, the platform's share). The entry must still balance.
        """
        if not borrower_id:
            raise Invalid("borrower_required", "a loan needs a borrower")
        today = uow.clock.business_date()
        product = load_product(uow.conn, product_code, version)
        opened = open_date or today
        if opened > today:
            raise Invalid("open_date_in_future", f"a loan cannot open after the business date {today}")
        if funding and product.origination_fee_treatment is FeeTreatment.FINANCED:
            # Notes are sized on the amount lent; a financed fee makes the principal larger than what they paid.
            raise Invalid("funding_needs_deducted_fee", f"notes cannot fund {product.code}: its fee is financed")
        if approved is not None:
            approved_tranches(
                product, amount, approved, noted=bool(funding), imported=opened < today or bool(repayments)
            )
        past = past_repayments_in_order(repayments, opened, today, product.currency)
        quote = self.products.quote(
            product,
            amount,
            opened,
            rate=rate,
            term=term,
            first_due_date=first_due_date,
            fee=fee,
            installment=installment,
        )
        loan_id = loan_id or new_id("loan")
        nominal = rate if rate is not None else product.rate
        graded = checked_grade(grade) if grade is not None else grade_by_price(nominal, self.grades)
        # Booked as of its open date: an imported loan is then caught up to today, below.
        insert_loan(uow, self._profile, loan_id, borrower_id, quote, nominal, opened, graded, approved)
        schedule = quote.schedule
        source = funded_from or AccountKey(AccountType.PLATFORM_CASH, product.currency)
        postings = [debit(AccountKey(AccountType.LOAN_PRINCIPAL, product.currency), schedule.money(schedule.principal))]
        postings += list(funding) if funding else [credit(source, schedule.money(schedule.disbursed))]
        if schedule.fee:
            postings.append(credit(AccountKey(AccountType.FEE_INCOME, product.currency), schedule.money(schedule.fee)))
        self._ledger.post(uow, entry(opened, "loan_disbursement", *postings, reference=loan_id))
        uow.publish(
            LoanDisbursed(
                loan_id=loan_id,
                borrower_id=borrower_id,
                product_code=product.code,
                currency=product.currency,
                principal=schedule.money(schedule.principal),
                term=len(schedule.lines),
                frequency=product.frequency,
                open_date=opened,
                first_due_date=schedule.lines[0].due,
                maturity_date=schedule.maturity,
                installment=schedule.money(schedule.installment),
                apr=schedule.apr,
                business_date=opened,
            )
        )
        if opened < today or past:
            self._import_history(uow, loan_id, past, today)
        return loan_id

    def _import_history(self, uow: UnitOfWork, loan_id: str, past: Sequence[PastRepayment], today: date) -> None:
        """Catch an imported loan up to today, applying its past repayments on their dates, in date order."""
        settled_on: date | None = None
        for repayment in past:
            if settled_on is not None:
                raise Invalid(
                    "past_repayment_after_settlement",
                    f"the repayment of {repayment.on} comes after the loan was settled on {settled_on}",
                )
            catch_up(uow, self._ledger, self._profile, loan_id, repayment.on)
            try:
                with as_of(uow, repayment.on):
                    result = self._repay(uow, loan_id, repayment.amount, repayment.reference or "import", None)
            except DomainError as exc:
                raise type(exc)(exc.code, f"the repayment of {repayment.on}: {exc.detail}", **exc.extra) from None
            if result.state is LoanState.SETTLED:
                settled_on = repayment.on
        catch_up(uow, self._ledger, self._profile, loan_id, today)

    # -- payoff, charge-off, write-off -------------------------------------------

    def payoff_quote(self, loan_id: str, as_of: date | None = None) -> PayoffQuote:
        """What settles the loan on `as_of` (today by default), interest accrued to that date."""
        with self._uow(read_only=True) as uow:
            ln = uow.conn.execute(select(loan).where(loan.c.id == loan_id)).first()
            if ln is None:
                raise NotFound("loan_not_found", f"no loan {loan_id}")
            return self._payoff(uow, ln, as_of or uow.clock.business_date())

    # -- the read model (stored_answers.py) ------------------------------------------

    def loan_answer(self, loan_id: str, first: Callable[[Connection], None] | None = None) -> LoanAnswer:
        """The loan's public answer: as its last change stored it, filled in for today, else rendered now.

        `first(conn)` runs first in the read's transaction (the API checks its caller's token there:
        one read transaction a request); what it raises ends the read before the loan is read.
        """
        with self._uow(read_only=True) as uow:
            if first is not None:
                first(uow.conn)
            stored = stored_answer(uow, loan_id)
            if stored is not None:
                return stored
            row, insts = self._row(uow.conn, loan_id)
            return LoanAnswer(row.borrower_id, loan_json(detail_of(uow, row, insts)))

    def rebuild_answers(self, batch: int = 1000) -> int:
        """Store every loan's answer, `batch` loans a transaction (after a migration, or to serve again the
        loans whose installments end-of-day changed since their last change)."""
        done, after = 0, None
        while True:
            with self._uow() as uow:
                keys = loan_keys_after(uow.conn, after, batch)
                if not keys:
                    return done
                done += write_answers(uow, keys, lock=True)
                uow.commit()
            after = keys[-1]

    # -- published read views (lending/published.py): another context embeds them in its own statement

    def overdue_book(self, min_dpd: int, part: Partition | None = None) -> Select[Any]:
        return published.overdue_book(min_dpd, part)

    def upcoming_dues(self, first: date, last: date, part: Partition | None = None) -> Select[Any]:
        return published.upcoming_dues(first, last, part)

    def charge_off(self, loan_id: str) -> Money:
        """Stop carrying the loan as an asset: every receivable goes to credit loss."""
        with self._uow() as uow:
            ln = self._load(uow, loan_id)
            if ln.state != LoanState.ACTIVE.value:
                raise Conflict("loan_not_active", f"loan {loan_id} is {ln.state}; only an active loan is charged off")
            amount = self._close(uow, ln, LoanState.CHARGED_OFF, "loan_charge_off")
            today = uow.clock.business_date()
            uow.publish(LoanChargedOff(loan_id=loan_id, borrower_id=ln.borrower_id, amount=amount, business_date=today))
            uow.commit()
        return amount

    def write_off(self, loan_id: str) -> Money:
        """Give up the debt. A charged-off loan is already off the books; an active one is charged off first.

        What is given up is what the loan still owes: the amount charged off less what was recovered.
        """
        with self._uow() as uow:
            ln = self._load(uow, loan_id)
            today = uow.clock.business_date()
            if ln.state == LoanState.CHARGED_OFF.value:
                amount = Money(ln.closed_amount - recovered_of(uow, ln), ln.currency)
                if not amount.minor:
                    raise Conflict("nothing_owed", f"loan {loan_id} was recovered in full; nothing is left to give up")
                uow.conn.execute(
                    UPDATE_LOAN.values(state=LoanState.WRITTEN_OFF.value),
                    {"b_borrower_id": ln.borrower_id, "b_loan_id": loan_id},
                )
                touch(uow, ln.borrower_id, loan_id)
            elif ln.state == LoanState.ACTIVE.value:
                amount = self._close(uow, ln, LoanState.WRITTEN_OFF, "loan_write_off")
            else:
                raise Conflict("loan_not_open", f"loan {loan_id} is {ln.state}")
            uow.publish(LoanWrittenOff(loan_id=loan_id, borrower_id=ln.borrower_id, amount=amount, business_date=today))
            uow.commit()
        return amount

    def _close(self, uow: UnitOfWork, ln: Row[Any], state: LoanState, kind: str) -> Money:
        touch(uow, ln.borrower_id, ln.id)
        return close_loan(uow, self._ledger, ln, state, kind)
