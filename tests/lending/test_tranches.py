"""Multi-disbursement loans: an approved amount paid out in tranches, the schedule re-computed at each.

Worked numbers are docs/lending.md's, "Tranches": 6,000 of an approved 10,000
at 18 % for 12 months on 30/360, opened 2026-03-02; 4,000 more on 2026-03-12.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import DomainError
from fairlend.ledger.model import AccountKey, AccountType, credit
from fairlend.lending.model import LoanState, Product
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import balance, cny, eod_through, events


@pytest.fixture
def staged(container: Container) -> Product:
    return container.lending.products.define(product(code="staged", max_tranches=3))


@pytest.fixture
def loan_id(container: Container, staged: Product) -> str:
    return container.lending.book_loan("brw_1", staged.code, cny("6000"), approved=cny("10000"))


def _rows(container: Container, loan_id: str) -> list[tuple[date, int, int]]:
    return [(i.due_date, i.principal.minor, i.interest.minor) for i in container.lending.loan_detail(loan_id).schedule]


def test_a_second_tranche_pays_out_and_recomputes_the_rest_carrying_the_interest_earned_on_the_first(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    cash = balance(container, AccountType.PLATFORM_CASH)
    assert _rows(container, loan_id)[0] == (date(2026, 4, 2), 46_008, 9_000)  # 550.08 a month on 6,000
    eod_through(container, clock, date(2026, 3, 11))
    done = container.lending.disburse_tranche(loan_id, cny("4000"), operator_id="op_1", reason="stage 2")
    assert balance(container, AccountType.PLATFORM_CASH) - cash == -400_000
    # 90.00 x 10 / 31 earned on the first tranche, floored: 29.03, due with the next installment.
    assert done.carried_interest.minor == 2_903
    assert done.principal_outstanding.minor == 1_000_000 and done.disbursed.minor == 400_000
    rows = _rows(container, loan_id)
    # 10,000 over the same 12 due dates at 18 %: 916.80 a month; the first period's 20 days (30E/360) 100.00.
    assert done.installment.minor == 91_680
    assert rows[0] == (date(2026, 4, 2), 81_680, 2_903 + 10_000)
    assert sum(p for _, p, _ in rows) == 1_000_000
    interest = principal = 0
    for row in container.lending.loan_detail(loan_id).schedule:
        eod_through(container, clock, row.due_date - timedelta(days=1))
        paid = container.lending.repay(loan_id, Money(row.principal.minor + row.interest.minor, "CNY"))
        interest += paid.interest_paid.minor
        principal += paid.principal_paid.minor
        assert paid.days_past_due == 0 and paid.refunded.minor == 0
    assert paid.state is LoanState.SETTLED
    assert principal == 1_000_000 and interest == sum(i for _, _, i in rows)
    assert container.verify() == []
    [event] = events(container, "lending.LoanModified")
    assert event["kind"] == "tranche" and event["plan"] is False
    assert event["disbursed_principal"]["minor"] == 400_000


def _refused(container: Container, loan_id: str, amount: Money, code: str) -> None:
    before = _rows(container, loan_id)
    with pytest.raises(DomainError) as refused:
        container.lending.disburse_tranche(loan_id, amount, operator_id="op_1")
    assert refused.value.code == code
    assert _rows(container, loan_id) == before
    assert container.verify() == []


def test_a_tranche_beyond_the_approved_amount_or_the_product_s_count_is_refused_and_nothing_moves(
    container: Container, loan_id: str
) -> None:
    _refused(container, loan_id, cny("4000.01"), "tranche_above_approved")
    _refused(container, loan_id, cny("0"), "amount_not_positive")
    _refused(container, loan_id, Money(100, "USD"), "currency_mismatch")
    container.lending.disburse_tranche(loan_id, cny("1000"), operator_id="op_1")
    container.lending.disburse_tranche(loan_id, cny("1000"), operator_id="op_1")
    _refused(container, loan_id, cny("1000"), "tranche_limit_reached")  # three of three paid out


def test_a_loan_booked_as_one_disbursement_takes_no_tranche(container: Container, staged: Product) -> None:
    single = container.lending.book_loan("brw_1", staged.code, cny("6000"))
    _refused(container, single, cny("100"), "loan_not_multi_disbursement")


@pytest.mark.parametrize(
    ("code", "first", "approved", "wanted"),
    [
        ("staged", "6000", "5000", "approved_below_first_tranche"),
        ("single", "6000", "10000", "product_single_disbursement"),
    ],
)
def test_a_multi_disbursement_booking_that_cannot_be_one_is_refused(
    container: Container, staged: Product, code: str, first: str, approved: str, wanted: str
) -> None:
    container.lending.products.define(product(code="single"))
    with pytest.raises(DomainError) as refused:
        container.lending.book_loan("brw_1", code, cny(first), approved=cny(approved))
    assert refused.value.code == wanted


def test_a_note_funded_loan_is_never_multi_disbursement(container: Container, staged: Product) -> None:
    """The market's notes own a loan in shares fixed at funding: a platform tranche would change them."""
    funding = [credit(AccountKey(AccountType.PLATFORM_CASH, "CNY"), cny("6000"))]
    with container.uow() as uow, pytest.raises(DomainError) as refused:
        container.lending.book_loan_in(uow, "brw_1", staged.code, cny("6000"), funding=funding, approved=cny("10000"))
    assert refused.value.code == "tranches_on_note_funded_loan"
    assert container.verify() == []


def test_a_tranche_on_a_loan_with_an_installment_past_due_is_refused(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    eod_through(container, clock, date(2026, 4, 3))
    _refused(container, loan_id, cny("100"), "loan_has_dues")
