"""A loan stores the risk grade it was offered at; one booked without a grade is graded by its price."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.errors import Invalid
from fairlend.lending.grades import PricedGrade, grade_by_price
from fairlend.lending.model import Product
from fairlend.lending.tables import loan
from fairlend.money import Money

LADDER = (PricedGrade("A1", Decimal("0.06")), PricedGrade("A2", Decimal("0.065")), PricedGrade("B1", Decimal("0.09")))


def test_the_price_grade_is_the_worst_grade_priced_at_or_below_the_rate() -> None:
    assert grade_by_price(Decimal("0.065"), LADDER) == "A2"
    assert grade_by_price(Decimal("0.0899"), LADDER) == "A2"
    assert grade_by_price(Decimal("0.30"), LADDER) == "B1"
    assert grade_by_price(Decimal("0.01"), LADDER) == "A1"  # below every price: the best grade
    assert grade_by_price(Decimal("0.18"), ()) == ""  # no ladder: not known


def test_a_loan_keeps_the_grade_it_was_offered_at_whatever_its_rate(container: Container, cash12: Product) -> None:
    # 18 % is E5's price on the credit policy's ladder; the offer said C2.
    loan_id = container.lending.book_loan("brw_1", cash12.code, Money.of("5000", "CNY"), grade="C2")
    assert container.lending.loan_detail(loan_id).grade == "C2"


def test_a_loan_booked_without_a_grade_is_graded_by_its_price(container: Container, cash12: Product) -> None:
    at_product_rate = container.lending.book_loan("brw_1", cash12.code, Money.of("5000", "CNY"))
    cheaper = container.lending.book_loan("brw_2", cash12.code, Money.of("5000", "CNY"), rate=Decimal("0.0649"))
    assert container.lending.loan_detail(at_product_rate).grade == "E5"
    assert container.lending.loan_detail(cheaper).grade == "A1"


@pytest.mark.parametrize("grade", ["", "ABC", "A-"])
def test_a_grade_that_is_not_one_is_refused_and_nothing_is_booked(
    container: Container, cash12: Product, grade: str
) -> None:
    with pytest.raises(Invalid) as refused:
        container.lending.book_loan("brw_1", cash12.code, Money.of("5000", "CNY"), grade=grade)
    assert refused.value.code == "invalid_grade"
    with container.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(loan)).scalar() == 0
    assert container.verify() == []
