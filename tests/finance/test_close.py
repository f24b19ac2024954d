"""The period close: month-end steps, statements, the lock; reopening by two operators; corrections."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Conflict, Forbidden
from fairlend.finance.closing import CORRECTION_KIND
from fairlend.finance.model import Period
from fairlend.ledger import reports, summaries
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.money import Money
from tests.finance.conftest import seed_book


def _post(container: Container, day: date, minor: int = 100) -> str:
    cash, capital = AccountKey(AccountType.PLATFORM_CASH, "CNY"), AccountKey(AccountType.PLATFORM_CAPITAL, "CNY")
    with container.uow() as uow:
        entry_id = container.ledger.post(
            uow, entry(day, "capital_in", debit(cash, Money(minor, "CNY")), credit(capital, Money(minor, "CNY")))
        )
        uow.commit()
    return entry_id


def test_closing_a_month_locks_it_and_closing_it_again_changes_nothing(container: Container, clock: FixedClock) -> None:
    seed_book(container, clock, 40, loans=5)  # 2026-03-02 .. 2026-04-10
    march = container.finance.closing.close("2026-03", "op_a")
    assert not march.already_closed and march.month.month_end == date(2026, 3, 31)
    assert march.month.summary["CNY"]["total_assets"] == march.statements[0].balance_sheet.total_assets
    assert container.finance.closing.closed_through() == date(2026, 3, 31)
    # Nothing posts into the closed month, whoever tries: the ledger refuses with a stable code.
    with pytest.raises(Conflict) as refused:
        _post(container, date(2026, 3, 31))
    assert refused.value.code == "period_closed"
    _post(container, date(2026, 4, 1))  # the open period still takes entries
    again = container.finance.closing.close("2026-03", "op_b")
    assert again.already_closed and again.month == march.month
    assert [i.code for i in container.finance.closing.checklist("2026-03") if not i.done] == []
    assert container.verify() == []


def test_a_month_is_closed_only_once_over_and_in_order(container: Container, clock: FixedClock) -> None:
    seed_book(container, clock, 70, loans=3)  # through 2026-05-10
    with pytest.raises(Conflict) as early:
        container.finance.closing.close("2026-05", "op_a")
    assert early.value.code == "close_month_not_over"
    container.finance.closing.close("2026-03", "op_a")
    seed_more = container.eod.run(through=date(2026, 6, 2))
    assert seed_more[-1].outcome == "done"
    with pytest.raises(Conflict) as skipped:
        container.finance.closing.close("2026-05", "op_a")
    assert skipped.value.code == "close_previous_open"
    container.finance.closing.close("2026-04", "op_a")
    container.finance.closing.close("2026-05", "op_a")
    assert container.finance.closing.closed_through() == date(2026, 5, 31)


def test_reopening_takes_a_second_operator_and_only_the_latest_month(container: Container, clock: FixedClock) -> None:
    seed_book(container, clock, 70, loans=3)
    closing = container.finance.closing
    closing.close("2026-03", "op_a")
    closing.close("2026-04", "op_a")
    with pytest.raises(Conflict) as not_latest:
        closing.request_reopen("2026-03", "op_a", "a late bank statement")
    assert not_latest.value.code == "reopen_not_latest"
    request = closing.request_reopen("2026-04", "op_a", "a late bank statement")
    with pytest.raises(Forbidden) as alone:
        closing.decide_reopen(request.id, "op_a", approve=True)
    assert alone.value.code == "four_eyes_required"
    assert closing.closed_through() == date(2026, 4, 30)  # still locked
    closing.decide_reopen(request.id, "op_b", approve=True)
    assert closing.closed_through() == date(2026, 3, 31)
    _post(container, date(2026, 4, 30))  # April takes entries again, March does not
    with pytest.raises(Conflict):
        _post(container, date(2026, 3, 31))
    reclosed = closing.close("2026-04", "op_b")
    assert not reclosed.already_closed and reclosed.month.status == "closed"


def _summed_months(container: Container) -> list[date]:
    with container.uow(read_only=True) as uow:
        return [m.end for m in summaries.closed_months(uow.conn)]


def test_a_closed_month_is_summed_once_for_the_statements_and_its_sums_go_when_it_is_reopened(
    container: Container, clock: FixedClock
) -> None:
    seed_book(container, clock, 70, loans=3)
    closing = container.finance.closing
    closing.close("2026-03", "op_a")
    closing.close("2026-04", "op_a")
    assert _summed_months(container) == [date(2026, 3, 31), date(2026, 4, 30)]
    spring = Period(date(2026, 3, 1), date(2026, 4, 30))
    read_from_sums = container.finance.statements.for_period(spring)
    request = closing.request_reopen("2026-04", "op_a", "a late bank statement")
    closing.decide_reopen(request.id, "op_b", approve=True)
    assert _summed_months(container) == [date(2026, 3, 31)]
    assert container.finance.statements.for_period(spring) == read_from_sums  # April from its postings now
    _post(container, date(2026, 4, 30), 250)
    closing.close("2026-04", "op_b")
    assert _summed_months(container) == [date(2026, 3, 31), date(2026, 4, 30)]
    (after,) = container.finance.statements.for_period(spring)
    assert after.trial_balance.total_debits == read_from_sums[0].trial_balance.total_debits + 250
    assert container.verify() == []


def test_a_correction_of_a_closed_month_posts_in_the_open_period_and_names_the_original(
    container: Container, clock: FixedClock
) -> None:
    seed_book(container, clock, 35, loans=2)
    wrong = _post(container, date(2026, 3, 20), 12_345)
    container.finance.closing.close("2026-03", "op_a")
    reversal = container.finance.closing.correct(wrong, "op_a", "posted twice")
    with container.uow(read_only=True) as uow:
        original = reports.entry_of(uow.conn, wrong)
        fixed = reports.entry_of(uow.conn, reversal)
    assert original is not None and fixed is not None
    assert fixed.reference == wrong and fixed.kind == CORRECTION_KIND
    assert fixed.business_date == clock.business_date() > date(2026, 3, 31)
    assert sorted(p.amount.minor for p in fixed.postings) == sorted(-p.amount.minor for p in original.postings)
    assert clock.business_date() - timedelta(days=1) > date(2026, 3, 31)
    assert container.verify() == []
