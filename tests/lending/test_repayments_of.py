"""A loan's repayments as a list (date, amount, kind and parts), oldest first; recoveries are marked."""

from __future__ import annotations

from datetime import date

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import NotFound
from fairlend.lending.model import Product, RepaymentKind
from tests.lending.helpers import cny, eod_through


def test_a_new_loan_has_no_repayments(container: Container, cash12: Product) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    assert container.lending.repayments_of(loan_id) == []


def test_each_repayment_is_listed_with_its_day_amount_kind_and_parts_oldest_first(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    other = container.lending.book_loan("brw_b", "cash-12", cny("5000"))
    eod_through(container, clock, date(2026, 4, 10))
    first = container.lending.repay(loan_id, cny("500"))
    container.lending.repay(other, cny("100"))  # another loan's payment is not this loan's
    eod_through(container, clock, date(2026, 4, 12))
    second = container.lending.repay(loan_id, cny("20"))

    listed = container.lending.repayments_of(loan_id)

    assert [r.id for r in listed] == [first.repayment_id, second.repayment_id]
    one, two = listed
    assert (one.paid_on, one.amount, one.kind) == (date(2026, 4, 11), cny("500"), RepaymentKind.REPAYMENT)
    assert (one.principal, one.interest, one.charges) == (cny("296.96"), cny("150"), cny("53.04"))
    assert one.principal + one.interest + one.charges + one.refunded == one.amount
    assert (two.paid_on, two.amount) == (date(2026, 4, 13), cny("20"))


def test_money_after_a_charge_off_is_listed_as_a_recovery(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 20))
    container.lending.charge_off(loan_id)
    container.lending.repay(loan_id, cny("1000"), reference="agency-1")
    (recovery,) = container.lending.repayments_of(loan_id)
    assert (recovery.kind, recovery.amount, recovery.principal) == (RepaymentKind.RECOVERY, cny("1000"), cny("0"))


def test_an_unknown_loan_is_not_found_with_its_code(container: Container) -> None:
    with pytest.raises(NotFound) as missing:
        container.lending.repayments_of("loan_nope")
    assert missing.value.code == "loan_not_found"
