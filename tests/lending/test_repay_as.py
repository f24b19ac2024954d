"""`repay_as`: the payer's check and the amount's currency, inside the repayment's own transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Forbidden, NotFound
from fairlend.lending.model import Product
from tests.lending.helpers import cny


def _refuse(borrower_id: str) -> None:
    raise Forbidden("not_yours", f"not {borrower_id}'s payer")


def test_a_refused_payer_leaves_the_loan_and_its_repayments_untouched(container: Container, cash12: Product) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    before = container.lending.loan_detail(loan_id)
    asked: list[str] = []

    def refuse(borrower_id: str) -> None:
        asked.append(borrower_id)
        _refuse(borrower_id)

    with pytest.raises(Forbidden):
        container.lending.repay_as(loan_id, Decimal("500"), may_pay=refuse)

    assert asked == ["brw_a"]  # asked with the loan's own borrower
    assert container.lending.loan_detail(loan_id) == before
    assert container.lending.repayments_of(loan_id) == []


def test_an_allowed_payer_pays_in_the_loans_currency_as_repay_does(container: Container, cash12: Product) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    twin = container.lending.book_loan("brw_b", "cash-12", cny("10000"))

    paid = container.lending.repay_as(loan_id, Decimal("916.80"), may_pay=lambda borrower_id: None, reference="r")
    same = container.lending.repay(twin, cny("916.80"), reference="r")

    assert paid.amount == cny("916.80")
    assert (paid.principal_paid, paid.interest_paid, paid.outstanding_principal, paid.state) == (
        same.principal_paid,
        same.interest_paid,
        same.outstanding_principal,
        same.state,
    )


@pytest.mark.parametrize(
    ("amount", "code"), [(Decimal("1.001"), "amount_too_precise"), (Decimal("0"), "amount_not_positive")]
)
def test_an_amount_the_loans_currency_cannot_hold_is_refused_and_nothing_is_written(
    container: Container, cash12: Product, amount: Decimal, code: str
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    with pytest.raises(DomainError) as refused:
        container.lending.repay_as(loan_id, amount, may_pay=lambda borrower_id: None)
    assert refused.value.code == code
    assert container.lending.repayments_of(loan_id) == []


def test_no_such_loan_is_not_found_before_the_payer_is_asked(container: Container, cash12: Product) -> None:
    with pytest.raises(NotFound):
        container.lending.repay_as("ln_nobody", Decimal("1"), may_pay=_refuse)
