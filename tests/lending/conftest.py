"""Products and helpers the lending tests share."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
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
