"""Products and helpers the lending tests share."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import DayCount, Frequency, Method, Product

BASE = Product(
    code="cash-12",
    name="Twelve-month cash loan",
    currency="CNY",
    method=Method.EQUAL_INSTALLMENT,
    frequency=Frequency.MONTHLY,
    rate=Decimal("0.18"),
    term=12,
    day_count=DayCount.THIRTY_360,
    grace_days=0,
    penalty_rate=Decimal("0.18"),
    late_fee=5000,
)


def product(**changes: object) -> Product:
    return replace(BASE, **changes)  # type: ignore[arg-type]


@pytest.fixture
def cash12(container: Container) -> Product:
    return container.lending.products.define(BASE)


@pytest.fixture
def container(container: Container) -> Container:
    """Lending on its own: end-of-day without the steps other contexts register.

    Bootstrap adds collections planning and T+1 bureau reporting to end-of-day;
    their borrowers must exist in identity, which lending's tests do not set up.
    The whole chain is tested in tests/test_platform.py.
    """
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock)
    return container
