"""Origination's `LendingService` port over the lending context.

An accepted offer becomes a loan on fairlend's personal-loan product, at the
rate, term and fee the offer showed; the product is stored the first time it
is needed (bootstrap runs before migrations on a fresh database). Booking
joins origination's transaction, so the accepted offer and its disbursed loan
commit together or not at all.
"""

from __future__ import annotations

from decimal import Decimal

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Invalid, NotFound, PolicyViolation
from fairlend.lending.model import DayCount, Frequency, Method, Product
from fairlend.lending.service import LendingService as LendingContext
from fairlend.origination.model import Installment, Quote
from fairlend.origination.ports import BookedLoan, BookingRequest, QuoteRequest

PERSONAL_LOAN = "fairlend-personal"


def personal_loan_product(currency: str) -> Product:
    """The platform's own product: monthly equal installments; the offer sets rate, term and fee.

    No penalty rate and no late fee: a contract rate at the cap already uses
    the room the overdue-interest cap leaves (CN-19), and collecting more than
    the agreement authorises would be unfair (US-14).
    """
    return Product(
        code=PERSONAL_LOAN,
        name="fairlend personal loan",
        currency=currency,
        method=Method.EQUAL_INSTALLMENT,
        frequency=Frequency.MONTHLY,
        rate=Decimal("0.12"),
        term=12,
        day_count=DayCount.THIRTY_360,
    )


class LendingAdapter:
    def __init__(self, lending: LendingContext, currency: str) -> None:
        self._lending = lending
        self._currency = currency
        self._product_ready = False

    def _ensure_product(self) -> None:
        if self._product_ready:
            return
        try:
            self._lending.products.get(PERSONAL_LOAN)
        except NotFound:
            self._lending.products.define(personal_loan_product(self._currency))
        self._product_ready = True

    def quote(self, request: QuoteRequest, apr_cap: Decimal) -> Quote:
        self._ensure_product()
        try:
            found = self._lending.quote(
                PERSONAL_LOAN,
                request.amount,
                rate=request.nominal_rate,
                term=request.term_months,
                open_date=request.start_date,
                fee=request.fee,
            )
        except PolicyViolation as exc:
            # Origination declines rather than offers above the cap; it expects this code.
            raise Invalid(exc.code, exc.detail, **exc.extra) from None
        schedule = found.schedule
        if schedule.apr > apr_cap:
            raise Invalid("apr_above_cap", f"APR {schedule.apr} is above the cap {apr_cap}")
        zero = schedule.money(0)
        installments = tuple(
            Installment(line.seq, line.due, schedule.money(line.principal), schedule.money(line.interest), zero)
            for line in schedule.lines
        )
        return Quote(
            amount=request.amount,
            term_months=request.term_months,
            nominal_rate=request.nominal_rate,
            apr=schedule.apr,
            fee=schedule.money(schedule.fee),
            installments=installments,
        )

    def book_loan(self, uow: UnitOfWork, request: BookingRequest) -> BookedLoan:
        self._ensure_product()
        loan_id = self._lending.book_loan_in(
            uow,
            request.borrower_id,
            PERSONAL_LOAN,
            request.quote.amount,
            rate=request.quote.nominal_rate,
            term=request.quote.term_months,
            fee=request.quote.fee,
            grade=request.grade,
        )
        return BookedLoan(loan_id)
