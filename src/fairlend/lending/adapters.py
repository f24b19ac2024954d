"""Lending behind the ports other contexts declared (origination, collections).

Each adapter translates lending's answers into the port's own types, so the
contexts keep coding against their protocols while the real service stands
behind them. Origination's offers are equal-installment monthly loans on one
standard product, which the adapter stores the first time it is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from fairlend.collections.model import DelinquentLoan as CollectionsDelinquentLoan
from fairlend.collections.model import LoanFacts as CollectionsLoanFacts
from fairlend.collections.model import LoanState as CollectionsLoanState
from fairlend.collections.ports import UpcomingDue
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Invalid, NotFound, PolicyViolation
from fairlend.lending.model import DayCount, FeeTreatment, Frequency, Method, Product
from fairlend.lending.service import LendingService
from fairlend.money import Money
from fairlend.origination.model import Installment, Quote
from fairlend.origination.ports import BookedLoan, BookingRequest, QuoteRequest

STANDARD_PRODUCT_CODE = "standard-monthly"


def standard_product(currency: str) -> Product:
    """The product origination's offers are booked on: 等额本息, monthly, 30/360, fee deducted."""
    return Product(
        code=STANDARD_PRODUCT_CODE,
        name="Standard monthly loan (origination offers)",
        currency=currency,
        method=Method.EQUAL_INSTALLMENT,
        frequency=Frequency.MONTHLY,
        rate=Decimal("0.12"),
        term=12,
        day_count=DayCount.THIRTY_360,
        penalty_rate=Decimal("0.12"),
        origination_fee_treatment=FeeTreatment.DEDUCTED,
    )


class OriginationLending:
    """origination.ports.LendingService over `LendingService`."""

    def __init__(self, lending: LendingService, currency: str) -> None:
        self._lending = lending
        self._currency = currency

    def _ensure_product(self) -> None:
        try:
            self._lending.products.get(STANDARD_PRODUCT_CODE)
        except NotFound:
            self._lending.products.define(standard_product(self._currency))

    def quote(self, request: QuoteRequest, apr_cap: Decimal) -> Quote:
        self._ensure_product()
        try:
            found = self._lending.quote(
                STANDARD_PRODUCT_CODE,
                request.amount,
                rate=request.nominal_rate,
                term=request.term_months,
                open_date=request.start_date,
                fee=request.fee,
            )
        except PolicyViolation as refused:
            raise Invalid("apr_above_cap", refused.detail) from None
        schedule = found.schedule
        if schedule.apr > apr_cap:
            raise Invalid("apr_above_cap", f"the APR of {schedule.apr} is above the cap of {apr_cap}")
        zero = Money.zero(schedule.currency)
        return Quote(
            amount=request.amount,
            term_months=len(schedule.lines),
            nominal_rate=request.nominal_rate,
            apr=schedule.apr,
            fee=Money(schedule.fee, schedule.currency),
            installments=tuple(
                Installment(line.seq, line.due, schedule.money(line.principal), schedule.money(line.interest), zero)
                for line in schedule.lines
            ),
        )

    def book_loan(self, uow: UnitOfWork, request: BookingRequest) -> BookedLoan:
        """Books in origination's transaction: acceptance and disbursement commit together."""
        self._ensure_product()
        quote = request.quote
        loan_id = self._lending.book_loan_in(
            uow,
            request.borrower_id,
            STANDARD_PRODUCT_CODE,
            quote.amount,
            rate=quote.nominal_rate,
            term=quote.term_months,
            fee=quote.fee,
        )
        return BookedLoan(loan_id)


class CollectionsLending:
    """collections.ports.LendingPort over `LendingService`."""

    def __init__(self, lending: LendingService) -> None:
        self._lending = lending

    def loan_facts(self, loan_id: str) -> CollectionsLoanFacts | None:
        try:
            facts = self._lending.loan_facts(loan_id)
        except NotFound:
            return None
        return CollectionsLoanFacts(
            loan_id=facts.loan_id,
            borrower_id=facts.borrower_id,
            state=CollectionsLoanState(facts.state.value),
            currency=facts.currency,
            overdue_amount=facts.overdue_amount,
            days_past_due=facts.days_past_due,
            bucket=facts.bucket,
            settled_on=facts.settled_on,
        )

    def delinquent_loans(self, min_dpd: int) -> Iterable[CollectionsDelinquentLoan]:
        return [
            CollectionsDelinquentLoan(d.loan_id, d.borrower_id, d.days_past_due, d.overdue_amount, d.bucket)
            for d in self._lending.delinquent_loans(min_dpd)
        ]

    def upcoming_dues(self, on: date, days_ahead: int) -> Iterable[UpcomingDue]:
        dues: list[UpcomingDue] = []
        for k in range(days_ahead + 1):
            for due in self._lending.due_soon(on + timedelta(days=k)):
                dues.append(UpcomingDue(due.loan_id, due.borrower_id, due.due_date, due.amount))
        return dues
