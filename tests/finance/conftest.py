"""A seeded book for finance's tests: loans current, late, charged off and recovered, over months."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.finance.wiring import finance_step
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import LoanState, Product
from fairlend.money import Money
from tests.lending.conftest import BASE


def finance_only(container: Container) -> Container:
    """Lending's end-of-day with finance's step alone (no collections or bureau: their borrowers need identity)."""
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock)
    container.eod.register(finance_step(container.finance))
    return container


@pytest.fixture
def container(container: Container) -> Container:
    return finance_only(container)


@pytest.fixture(params=["cn", "us"])
def profiled(request: pytest.FixtureRequest, database_url: str, tmp_path: Path, clock: FixedClock) -> Container:
    """A platform on each profile, end-of-day as `container`'s."""
    built = bootstrap(
        Settings(environment="test", database_url=database_url, data_dir=tmp_path, jurisdiction=request.param),
        clock=clock,
    )
    request.addfinalizer(built.close)
    return finance_only(built)


def cny(major: str) -> Money:
    return Money.of(major, "CNY")


def seed_book(container: Container, clock: FixedClock, days: int, *, loans: int = 12, seed: int = 7) -> dict[str, str]:
    """Book `loans` loans of five behaviours and run end-of-day for `days` days; returns loan id -> behaviour."""
    import random

    rng = random.Random(seed)
    lending = container.lending
    currency = container.profile.currency
    lending.products.define(replace(BASE, currency=currency, origination_fee_rate=Decimal("0.01")))

    def cny(major: str) -> Money:
        return Money.of(major, currency)

    kinds = ["current", "late", "prepaid", "defaulted", "recovered"]
    book: dict[str, str] = {}
    for i in range(loans):
        book[lending.book_loan(f"brw_{i}", BASE.code, cny(str(rng.randrange(2_000, 30_000))))] = kinds[i % 5]
    start = clock.business_date()
    for offset in range(days):
        today = start + timedelta(days=offset)
        for loan_id, kind in book.items():
            facts = lending.loan_facts(loan_id)
            if facts.state is not LoanState.ACTIVE:
                if kind == "recovered" and facts.settled_on is None and today.day == 15:
                    lending.repay(loan_id, cny("300"))
                continue
            due = facts.next_due_date
            if kind == "current" and due == today:
                lending.repay(loan_id, facts.next_due_amount)
            elif kind == "late" and facts.days_past_due >= 40 and today.day == 20:
                lending.repay(loan_id, facts.overdue_amount)
            elif kind == "prepaid" and due == today:
                lending.repay(loan_id, facts.next_due_amount + cny("700"))
            elif kind in ("defaulted", "recovered") and facts.days_past_due > 120:
                lending.charge_off(loan_id)
        container.eod.run_day(today)
    assert clock.business_date() == start + timedelta(days=days)
    return book


def first_of(day: date) -> date:
    return day.replace(day=1)


@pytest.fixture
def cash12(container: Container) -> Product:
    return container.lending.products.define(BASE)
