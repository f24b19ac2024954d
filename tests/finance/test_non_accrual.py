"""Non-accrual (FN-5): income stops at the threshold, cash is income when received, the switch back is recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.finance.tables import finance_non_accrual, finance_non_accrual_change
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.lending.model import Product
from tests.lending.helpers import cny


def _switches(container: Container) -> list[tuple[str, int]]:
    c = finance_non_accrual_change.c
    with container.uow(read_only=True) as uow:
        return [(r.to_state, r.dpd) for r in uow.conn.execute(select(c.to_state, c.dpd).order_by(c.business_date))]


def _held(container: Container) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.execute(select(finance_non_accrual.c.suspended)).scalar() or 0)


def _balance(container: Container, account: AccountType) -> int:
    return container.ledger.balance(AccountKey(account, "CNY")).minor


def test_interest_leaves_income_at_the_threshold_and_returns_when_the_borrower_pays(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    threshold = container.profile.finance.non_accrual_dpd
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    day = clock.business_date()
    while container.lending.loan_facts(loan_id).days_past_due < threshold - 1:
        container.eod.run_day(day)
        day += timedelta(days=1)
    assert _switches(container) == [] and _balance(container, AccountType.INTEREST_SUSPENSE) == 0
    container.eod.run_day(day)  # the boundary day: 90 days past due
    day += timedelta(days=1)
    assert _switches(container) == [("non_accrual", threshold)]
    facts = container.lending.loan_facts(loan_id)
    held = _held(container)
    assert held > 0 and _balance(container, AccountType.INTEREST_SUSPENSE) == -held
    # Income no longer grows with the loan's accrual while it is in non-accrual.
    income_before = _balance(container, AccountType.INTEREST_INCOME)
    for _ in range(5):
        container.eod.run_day(day)
        day += timedelta(days=1)
    assert _balance(container, AccountType.INTEREST_INCOME) == income_before
    assert _held(container) > held  # the contractual interest kept growing, held out of income
    # The borrower pays everything overdue: the loan cures and what was held becomes income that day.
    container.lending.repay(loan_id, container.lending.loan_facts(loan_id).overdue_amount)
    held = _held(container)
    container.eod.run_day(day)
    assert _switches(container)[-1][0] == "accrual"
    assert _balance(container, AccountType.INTEREST_SUSPENSE) == 0
    assert _balance(container, AccountType.INTEREST_INCOME) < income_before  # credit-positive: income grew
    assert facts.days_past_due == threshold
    assert container.verify() == []


def test_a_charged_off_loan_releases_what_was_held_against_credit_loss(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    day = clock.business_date()
    while container.lending.loan_facts(loan_id).days_past_due <= container.profile.finance.non_accrual_dpd:
        container.eod.run_day(day)
        day += timedelta(days=1)
    held = _held(container)
    loss = container.lending.charge_off(loan_id)
    container.eod.run_day(day)
    assert _switches(container)[-1] == ("closed", 0)
    assert _balance(container, AccountType.INTEREST_SUSPENSE) == 0 and _held(container) == 0
    assert _balance(container, AccountType.CREDIT_LOSS) == loss.minor - held
    assert container.verify() == []
