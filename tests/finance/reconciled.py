"""A month's statements held to the journal: what the statements tests and the simulated year both check."""

from __future__ import annotations

from datetime import date, timedelta

from fairlend.bootstrap import Container
from fairlend.finance.model import CASH_ACCOUNTS, Figure, Period
from fairlend.finance.statements import Statements
from fairlend.ledger.model import AccountType, Category


def journal_sums(container: Container, as_of: date) -> dict[AccountType, int]:
    """Raw balance per account type from `Ledger.balances` (another query over the same postings)."""
    sums: dict[AccountType, int] = {}
    for b in container.ledger.balances(as_of=as_of):
        sums[b.key.type] = sums.get(b.key.type, 0) + b.balance.minor
    return sums


def drilled(container: Container, figure: Figure, period: Period, currency: str, *, closing: bool) -> int:
    """What the figure's drill-down lines sum to, in the figure's sign."""
    lines = container.finance.statements.lines(
        figure.types, currency, None if closing else period.start, period.end, source=figure.source, limit=None
    )
    raw = sum(line.amount for line in lines)
    return raw if figure.types[0].category.debit_normal else -raw


def assert_reconciled(container: Container, period: Period, currency: str) -> Statements:
    """The period's statements balance, agree with the journal's balances by account type at both ends,
    and every figure is the sum of the lines it drills down to; returns them."""
    (st,) = container.finance.statements.for_period(period, currency)
    tb = st.trial_balance
    assert tb.balanced and st.balance_sheet.balanced, period
    closing = journal_sums(container, period.end)
    opening = journal_sums(container, period.start - timedelta(days=1))
    by_type: dict[AccountType, list[int]] = {}
    for row in tb.rows:
        sums = by_type.setdefault(row.type, [0, 0])
        sums[0] += row.opening
        sums[1] += row.closing
    assert {t: v[1] for t, v in by_type.items() if v[1]} == {t: v for t, v in closing.items() if v}, period
    assert {t: v[0] for t, v in by_type.items() if v[0]} == {t: v for t, v in opening.items() if v}, period
    income = st.income
    assert income.net_income == -sum(
        row.debits + row.credits for row in tb.rows if row.type.category in (Category.INCOME, Category.EXPENSE)
    )
    for figure in (*income.income, *income.expenses):
        assert drilled(container, figure, period, currency, closing=False) == figure.amount, (period, figure.code)
    for figure in (*st.balance_sheet.assets, *st.balance_sheet.liabilities, *st.balance_sheet.equity):
        if figure.code != "retained_earnings":
            assert drilled(container, figure, period, currency, closing=True) == figure.amount, (period, figure.code)
    assert st.cash_flow.closing == sum(v for t, v in closing.items() if t in CASH_ACCOUNTS)
    return st
