"""A delinquent loan on the real services, and end-of-day with lending's steps and the plans' step."""

from __future__ import annotations

from datetime import date

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.hardship.plans import HardshipStep
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import Product
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from tests.hardship.support import CASH12

BORROWER = "brw_hardship"
OPENED = date(2025, 11, 2)  # the first installment fell due 2025-12-02


@pytest.fixture
def container(container: Container) -> Container:
    """End-of-day with lending's own steps and hardship's; collections and the bureau need people in identity."""
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    return container


@pytest.fixture
def cash12(container: Container) -> Product:
    return container.lending.products.define(CASH12)


@pytest.fixture
def late_loan(container: Container, cash12: Product, clock: FixedClock) -> str:
    """¥10,000 over 12 months from 2025-11-02; the first installment paid, the Jan and Feb ones not.

    On the business date 2026-03-02 it is 59 days past due (since 2026-01-02), with penalty and late fees.
    """
    return container.lending.book_loan(
        BORROWER,
        cash12.code,
        Money(1_000_000, "CNY"),
        open_date=OPENED,
        repayments=[PastRepayment(date(2025, 12, 2), Money(91_680, "CNY"))],
    )
