"""Statements reconcile with the journal to the minor unit, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from fairlend.finance.model import FundingSource, Period, months_between, parse_month
from fairlend.ledger.model import AccountType
from tests.finance.conftest import seed_book
from tests.finance.reconciled import assert_reconciled


def test_every_month_of_a_seeded_book_reconciles_with_the_journal_and_the_balance_sheet_balances(
    container: Container, clock: FixedClock
) -> None:
    start = clock.business_date()
    seed_book(container, clock, 200)
    end = clock.business_date()
    for period in months_between(start, end):
        assert_reconciled(container, period, "CNY")
    # Not vacuous: the book earned interest, lost loans and recovered some.
    (year,) = container.finance.statements.for_period(Period(start, end), "CNY")
    amounts = {f.code: f.amount for f in (*year.income.income, *year.income.expenses)}
    assert amounts["interest_income"] > 0 and amounts["penalty_income"] > 0 and amounts["fee_income"] > 0
    assert amounts["recovery_income"] >= 0 and amounts["provision_expense"] != 0
    assert any(f.code == "allowance" and f.amount < 0 for f in year.balance_sheet.assets)
    assert container.verify() == []


def test_a_partners_notes_are_its_own_funding_source_in_the_trial_balance() -> None:
    from fairlend.finance.model import Activity, trial_balance
    from fairlend.ledger.model import AccountKey

    period = parse_month("2026-11")
    activity = [
        Activity(AccountKey(AccountType.NOTES_PAYABLE, "CNY", "inv_partner_bank"), 0, 0, -700),
        Activity(AccountKey(AccountType.NOTES_PAYABLE, "CNY", "inv_someone"), 0, 0, -200),
        Activity(AccountKey(AccountType.LOAN_PRINCIPAL, "CNY"), 0, 900, 0),
    ]
    tb = trial_balance("CNY", period, activity, frozenset({"inv_partner_bank"}))
    assert [(r.type, r.source, r.closing) for r in tb.rows] == [
        (AccountType.LOAN_PRINCIPAL, FundingSource.PLATFORM, 900),
        (AccountType.NOTES_PAYABLE, FundingSource.INVESTORS, -200),
        (AccountType.NOTES_PAYABLE, FundingSource.PARTNER, -700),
    ]


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "November", "2026-00", ""])
def test_a_month_that_is_not_a_month_is_refused_with_its_code(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_month(text)
    assert refused.value.code == "invalid_month"
