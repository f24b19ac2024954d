"""A new schedule version: applied whole or refused with nothing written; a held delinquency and its release."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.errors import Conflict, Invalid
from fairlend.lending.model import Product
from fairlend.lending.position_model import ScheduleChange
from fairlend.lending.tables import loan_installment, loan_schedule_version
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from tests.lending.helpers import events, two_month_plan


@pytest.fixture
def late(container: Container, cash12: Product) -> str:
    """Two installments missed: 59 days past due on 2026-03-02."""
    return container.lending.book_loan(
        "brw_1",
        cash12.code,
        Money(1_000_000, "CNY"),
        open_date=date(2025, 11, 2),
        repayments=[PastRepayment(date(2025, 12, 2), Money(91_680, "CNY"))],
    )


def _apply(container: Container, change: ScheduleChange) -> tuple[int, int]:
    with container.uow() as uow:
        done = container.lending.modify_in(uow, change)
        uow.commit()
    return done


def _rows(container: Container) -> tuple[int, int]:
    with container.uow(read_only=True) as uow:
        installments = uow.conn.execute(select(func.count()).select_from(loan_installment)).scalar()
        versions = uow.conn.execute(select(func.count()).select_from(loan_schedule_version)).scalar()
    return int(installments or 0), int(versions or 0)


def test_a_new_version_replaces_the_schedule_and_keeps_the_old_one_readable(container: Container, late: str) -> None:
    before = container.lending.position(late)
    version, first_seq = _apply(container, two_month_plan(before))
    assert version == 2 and first_seq == 13
    after = container.lending.position(late)
    assert after.owed == before.owed and after.schedule_version == 2 and after.rate == 0
    old, current = container.lending.schedule_versions(late)
    assert (old["version"], old["current"], current["current"]) == (1, False, True)
    assert [i["paid_on"] is not None for i in old["installments"]][:2] == [True, False]
    assert len(current["installments"]) == 1 + 3  # December (paid) kept, the arrears and two new ones
    (modified,) = events(container, "lending.LoanModified")
    assert modified["schedule_version"] == 2 and modified["installments"] == 2
    assert container.verify() == []


def test_a_change_computed_on_a_loan_that_moved_is_refused_and_nothing_is_written(
    container: Container, late: str
) -> None:
    change = two_month_plan(container.lending.position(late))
    container.lending.repay(late, Money(100, "CNY"))
    before = _rows(container)
    with pytest.raises(Conflict) as moved:
        _apply(container, change)
    assert moved.value.code == "loan_changed"
    assert _rows(container) == before and events(container, "lending.LoanModified") == []


@pytest.mark.parametrize("where", ["principal", "interest", "fee", "waiver"])
def test_a_change_that_makes_or_loses_a_fen_is_refused(container: Container, late: str, where: str) -> None:
    change = two_month_plan(container.lending.position(late))
    first, second = change.installments
    if where == "principal":
        change = replace(change, installments=(first, replace(second, principal=second.principal + 1)))
    elif where == "interest":
        change = replace(change, installments=(replace(first, arrears_interest=first.arrears_interest - 1), second))
    elif where == "fee":
        change = replace(change, installments=(replace(first, arrears_fee=first.arrears_fee + 1), second))
    else:
        change = replace(change, waived_interest=1)  # waived, but still carried in full
    before = _rows(container)
    with pytest.raises(Invalid) as unbalanced:
        _apply(container, change)
    assert unbalanced.value.code == "schedule_change_unbalanced"
    assert _rows(container) == before


def test_a_held_delinquency_stays_as_reported_through_end_of_day_and_repayments_until_released(
    container: Container, late: str
) -> None:
    before = container.lending.position(late)
    change = two_month_plan(before)
    _apply(container, change)
    first = change.installments[0]
    container.eod.run(through=first.due - timedelta(days=1))
    facts = container.lending.loan_facts(late)
    assert facts.days_past_due == before.days_past_due and facts.overdue_amount.minor == 0
    container.lending.repay(late, facts.next_due_amount)
    assert container.lending.loan_facts(late).days_past_due == before.days_past_due
    with container.uow() as uow:
        assert container.lending.release_delinquency_in(uow, late, reaged=True) == 0
        uow.commit()
    facts = container.lending.loan_facts(late)
    assert (facts.days_past_due, facts.bucket) == (0, "current")
    (released,) = events(container, "lending.LoanDelinquencyReleased")
    assert released["reaged"] is True and released["previous_days_past_due"] == before.days_past_due
    assert container.verify() == []


def test_without_a_hold_the_loan_is_current_at_once(container: Container, late: str) -> None:
    _apply(container, two_month_plan(container.lending.position(late), hold=False))
    facts = container.lending.loan_facts(late)
    assert (facts.days_past_due, facts.bucket) == (0, "current")
    assert events(container, "lending.LoanDelinquencyChanged")[-1]["bucket"] == "current"


def test_a_settled_loan_takes_no_new_schedule(container: Container, late: str) -> None:
    change = two_month_plan(container.lending.position(late))
    container.lending.settle_early(late)
    with pytest.raises(Conflict) as settled:
        _apply(container, change)
    assert settled.value.code == "loan_not_active"
