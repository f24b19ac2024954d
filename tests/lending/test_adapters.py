"""Lending behind origination's and collections' ports, as bootstrap wires it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.model import LoanState as CollectionsLoanState
from fairlend.errors import Invalid
from fairlend.lending.adapters import CollectionsLending, OriginationLending
from fairlend.lending.model import Product
from fairlend.origination.ports import BookingRequest, QuoteRequest
from tests.lending.helpers import cny, eod_through


def test_origination_quotes_and_books_through_lending_in_its_own_transaction(container: Container) -> None:
    adapter = OriginationLending(container.lending, "CNY")
    request = QuoteRequest(cny("10000"), 12, Decimal("0.18"), cny("100"), date(2026, 3, 2))
    quote = adapter.quote(request, Decimal("0.24"))
    assert quote.installments[0].total == cny("916.80")
    assert quote.apr > Decimal("0.18") and quote.fee == cny("100")
    with pytest.raises(Invalid) as refused:
        adapter.quote(QuoteRequest(cny("10000"), 12, Decimal("0.30"), cny("0"), date(2026, 3, 2)), Decimal("0.24"))
    assert refused.value.code == "apr_above_cap"
    with container.uow() as uow:
        booked = adapter.book_loan(uow, BookingRequest("brw_o", "contract_1", quote, "platform"))
        uow.commit()
    facts = container.lending.loan_facts(booked.loan_id)
    assert facts.borrower_id == "brw_o" and facts.outstanding_principal == cny("10000")
    assert container.verify() == []


def test_collections_reads_facts_the_overdue_book_and_upcoming_dues(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    adapter = CollectionsLending(container.lending)
    loan_id = container.lending.book_loan("brw_c", "cash-12", cny("10000"))
    dues = list(adapter.upcoming_dues(date(2026, 3, 30), 3))
    assert [(d.loan_id, d.due_date) for d in dues] == [(loan_id, date(2026, 4, 2))]
    eod_through(container, clock, date(2026, 4, 10))
    (late,) = adapter.delinquent_loans(1)
    assert (late.loan_id, late.days_past_due, late.bucket) == (loan_id, 9, "M1")
    container.lending.settle_early(loan_id)
    facts = adapter.loan_facts(loan_id)
    assert facts is not None and facts.state is CollectionsLoanState.SETTLED
    assert adapter.loan_facts("loan_unknown") is None
