"""Statements reconcile with the journal to the minor unit, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from fairlend.finance.model import CASH_ACCOUNTS, Figure, FundingSource, Period, months_between, parse_month
from fairlend.ledger.model import AccountType, Category
from tests.finance.conftest import seed_book


def _journal_sums(container: Container, as_of: date) -> dict[AccountType, int]:
    """Raw balance per account type from `Ledger.balances` (another query over the same postings)."""
    sums: dict[AccountType, int] = {}
    for b in container.ledger.balances(as_of=as_of):
        sums[b.key.type] = sums.get(b.key.type, 0) + b.balance.minor
    return sums


def _drilled(container: Container, figure: Figure, period: Period, *, closing: bool) -> int:
    lines = container.finance.statements.lines(
        figure.types, "CNY", None if closing else period.start, period.end, source=figure.source, limit=None
    )
    raw = sum(line.amount for line in lines)
    return raw if figure.types[0].category.debit_normal else -raw


def test_every_month_of_a_seeded_book_reconciles_with_the_journal_and_the_balance_sheet_balances(
    container: Container, clock: FixedClock
) -> None:
    start = clock.business_date()
    seed_book(container, clock, 200)
    end = clock.business_date()
    for period in months_between(start, end):
        (st,) = container.finance.statements.for_period(period, "CNY")
        tb = st.trial_balance
        assert tb.balanced and st.balance_sheet.balanced
        closing = _journal_sums(container, period.end)
        opening = _journal_sums(container, period.start.replace(day=1).fromordinal(period.start.toordinal() - 1))
        by_type: dict[AccountType, list[int]] = {}
        for row in tb.rows:
            sums = by_type.setdefault(row.type, [0, 0])
            sums[0] += row.opening
            sums[1] += row.closing
        assert {t: v[1] for t, v in by_type.items() if v[1]} == {t: v for t, v in closing.items() if v}
        assert {t: v[0] for t, v in by_type.items() if v[0]} == {t: v for t, v in opening.items() if v}
        income = st.income
        assert income.net_income == -sum(
            row.debits + row.credits for row in tb.rows if row.type.category in (Category.INCOME, Category.EXPENSE)
        )
        for figure in (*income.income, *income.expenses):
            assert _drilled(container, figure, period, closing=False) == figure.amount, figure.code
        for figure in (*st.balance_sheet.assets, *st.balance_sheet.liabilities, *st.balance_sheet.equity):
            if figure.code != "retained_earnings":
                assert _drilled(container, figure, period, closing=True) == figure.amount, figure.code
        cash_at_end = sum(v for t, v in closing.items() if t in CASH_ACCOUNTS)
        assert st.cash_flow.closing == cash_at_end
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
