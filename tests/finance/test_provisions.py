"""Provisions: each loan's ECL explained, one entry per segment, the allowance rolling forward every month."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.finance.credit_loss import PD_SCALE, LossHistory, ecl_minor, lgd_e4, loss_rate_e8, observed_lgd_e4
from fairlend.finance.model import month_end, months_between
from fairlend.finance.provisions import PROVISION_KIND, Provisions
from fairlend.finance.service import FinanceService
from fairlend.finance.tables import finance_allowance_use, finance_grade_risk
from fairlend.jurisdiction.model import Measurement
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.lending.tables import loan
from fairlend.money import Money
from tests.finance.conftest import finance_only, seed_book
from tests.lending.conftest import BASE


def test_the_allowance_rolls_forward_every_month_and_matches_the_journal_on_both_profiles(
    profiled: Container, clock: FixedClock
) -> None:
    finance = profiled.finance
    currency = profiled.profile.currency
    start = clock.business_date()
    seed_book(profiled, clock, 240, loans=15)
    months = [
        p.end for p in months_between(start, clock.business_date() - timedelta(days=1)) if p.end < clock.business_date()
    ]
    assert finance.provisioned_months() == sorted(months, reverse=True)
    closing_before: dict[str, int] = {}
    write_offs = recoveries = 0
    for end in months:
        segments = finance.segments(end)
        assert segments, end
        for seg in segments:
            assert seg.opening + seg.charge - seg.write_offs + seg.recoveries == seg.closing, (end, seg.segment)
            assert seg.opening == closing_before.get(seg.segment, 0), (end, seg.segment)
            held = profiled.ledger.balance(AccountKey(AccountType.ALLOWANCE, currency, seg.segment), as_of=end)
            assert -held.minor == seg.closing
            loans = finance.loan_provisions(end, segment=seg.segment, limit=10_000)
            assert sum(p.ecl for p in loans) == seg.closing and len(loans) == seg.loans
            for p in loans:  # every figure explains itself: the pure rule gives the same loss
                rate = loss_rate_e8(p.pd_e6, p.lgd_e4, p.class_code, p.remaining_months, profiled.profile.finance)
                assert (p.rate_e8, p.ecl) == (rate, ecl_minor(p.ead, rate))
            closing_before[seg.segment] = seg.closing
            write_offs += seg.write_offs
            recoveries += seg.recoveries
    # One entry per segment that moved, dated the month-end.
    entries = {s.entry_id for end in months for s in finance.segments(end) if s.entry_id}
    lines = finance.statements.lines(
        [AccountType.ALLOWANCE], currency, None, months[-1], kinds=[PROVISION_KIND], limit=None
    )
    assert {line.entry_id for line in lines} == entries
    assert all(line.business_date == month_end(line.business_date) for line in lines)
    # Not vacuous: loans were charged off against the allowance and money came back into it.
    with profiled.uow(read_only=True) as uow:
        used = uow.conn.execute(select(finance_allowance_use.c.kind, finance_allowance_use.c.amount)).all()
    assert write_offs == sum(a for k, a in used if k == "write_off") > 0
    assert recoveries > 0
    assert profiled.verify() == []


def test_provisioning_a_month_twice_changes_nothing(container: Container, clock: FixedClock) -> None:
    seed_book(container, clock, 70, loans=5)
    end = month_end(clock.business_date().replace(day=1) - timedelta(days=1))
    before = container.finance.segments(end)
    assert before
    assert container.finance.provision_month(end) == []
    assert container.finance.segments(end) == before


def test_a_loan_is_provisioned_by_the_grade_stored_on_it_not_by_its_rate(
    profiled: Container, clock: FixedClock
) -> None:
    finance = profiled.finance
    currency = profiled.profile.currency
    lending = profiled.lending
    lending.products.define(replace(BASE, currency=currency))
    amount = Money.of("10000", currency)
    # The same price (18 %, E5's on the ladder), three grades: the offer's, another offer's, none known.
    best = lending.book_loan("brw_a", BASE.code, amount, grade="A1")
    worst = lending.book_loan("brw_b", BASE.code, amount, grade="G5")
    unknown = lending.book_loan("brw_c", BASE.code, amount)
    with profiled.engine.begin() as conn:  # a loan booked before grades were stored and not backfilled
        conn.execute(sa.update(loan).where(loan.c.id == unknown).values(grade=""))
    end = month_end(clock.business_date())
    assert finance.provision_month(end)
    risk = {g.grade: g for g in finance.grades}
    rows = {p.loan_id: p for p in finance.loan_provisions(end)}
    for loan_id, grade, applied in ((best, "A1", "A1"), (worst, "G5", "G5"), (unknown, "", "G5")):
        p = rows[loan_id]
        assert (p.grade, p.pd_e6, p.lgd_e4) == (grade, risk[applied].pd_e6, lgd_e4(applied, profiled.profile.finance))
        rate = loss_rate_e8(p.pd_e6, p.lgd_e4, p.class_code, p.remaining_months, profiled.profile.finance)
        assert (p.rate_e8, p.ecl) == (rate, ecl_minor(p.ead, rate))
    if profiled.profile.finance.measurement is not Measurement.CATEGORY_RATES:
        assert rows[best].ecl < rows[worst].ecl == rows[unknown].ecl  # the grade, not the price, sets the loss


@pytest.fixture
def ifrs9(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Container]:
    """The `us` platform with its allowance measured under IFRS 9 (FN-3) instead of CECL (FN-4)."""
    built = bootstrap(
        Settings(environment="test", database_url=database_url, data_dir=tmp_path, jurisdiction="us"), clock=clock
    )
    finance = replace(
        built.profile.finance, measurement=Measurement.IFRS9, measurement_rule="FN-3", lifetime_from="stage_2"
    )
    built.finance = FinanceService(
        built.uow, built.ledger, replace(built.profile, finance=finance), built.finance.grades
    )
    yield finance_only(built)
    built.close()


def test_under_ifrs9_a_performing_loan_carries_twelve_months_of_loss_and_a_late_one_its_lifetime(
    ifrs9: Container, clock: FixedClock
) -> None:
    c = ifrs9
    currency = c.profile.currency
    c.lending.products.define(replace(BASE, code="cash-36", term=36, currency=currency))
    current = c.lending.book_loan("brw_a", "cash-36", Money.of("10000", currency), grade="E5")
    late = c.lending.book_loan("brw_b", "cash-36", Money.of("10000", currency), grade="E5")  # never pays
    day = clock.business_date()
    while day <= date(2026, 5, 31):
        facts = c.lending.loan_facts(current)
        assert facts is not None
        if facts.next_due_date == day:
            c.lending.repay(current, facts.next_due_amount)
        c.eod.run_day(day)
        day += timedelta(days=1)
    rows = {p.loan_id: p for p in c.finance.loan_provisions(date(2026, 5, 31))}
    performing, behind = rows[current], rows[late]
    assert (performing.class_code, behind.class_code) == ("stage_1", "stage_2")
    assert performing.remaining_months > 12 and behind.remaining_months > 12  # 12 months and lifetime differ
    assert performing.rate_e8 == performing.pd_e6 * performing.lgd_e4 // 100  # twelve months of PD
    lifetime = min(PD_SCALE, behind.pd_e6 * behind.remaining_months // 12)
    assert behind.rate_e8 == lifetime * behind.lgd_e4 // 100 and lifetime > behind.pd_e6
    for p in (performing, behind):  # the month-end's SQL and the pure rule agree
        rate = loss_rate_e8(p.pd_e6, p.lgd_e4, p.class_code, p.remaining_months, c.finance.finance)
        assert (p.rate_e8, p.ecl) == (rate, ecl_minor(p.ead, rate))


def test_a_grade_letter_with_enough_losses_of_its_own_is_measured_by_its_recoveries_not_the_default(
    container: Container, clock: FixedClock
) -> None:
    finance = container.finance
    # Two losses are history enough here (the platform waits for OBSERVED_LGD_MIN_DEFAULTS).
    finance.provisions = Provisions(finance.finance, finance.grades, container.ledger, min_defaults=2)
    book = seed_book(container, clock, 240, loans=15)  # every loan graded E5 by its price
    lost = [
        container.lending.loan_detail(loan_id) for loan_id, kind in book.items() if kind in ("defaulted", "recovered")
    ]
    charged = sum(d.charged_off.minor for d in lost)
    recovered = sum(d.recovered.minor for d in lost)
    assert len(lost) >= 2 and charged > 0 and 0 < recovered < charged, "no recovery to learn from: a weak test"
    observed = observed_lgd_e4(0, LossHistory("E", len(lost), charged, recovered), min_defaults=2)
    assert observed == round(10_000 * (charged - recovered) / charged)
    end = month_end(clock.business_date())
    assert finance.provision_month(end)
    with container.uow(read_only=True) as uow:
        risks = {
            r.grade: r.lgd_e4
            for r in uow.conn.execute(select(finance_grade_risk).where(finance_grade_risk.c.month_end == end))
        }
    assert risks["E5"] == risks["E1"] == observed  # the letter's own history
    assert risks["A1"] == lgd_e4("A1", finance.finance)  # no losses of its own: the profile's default
    assert all(p.lgd_e4 == observed for p in finance.loan_provisions(end) if p.grade.startswith("E"))


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (None, 8000),  # nothing lost yet: the default
        (LossHistory("E", 29, 1_000, 250), 8000),  # too few losses to trust
        (LossHistory("E", 30, 1_000, 250), 7500),  # 1 - 250 / 1,000
        (LossHistory("E", 30, 3, 1), 6667),  # 2/3, rounded half up
        (LossHistory("E", 30, 1_000, 1_200), 0),  # recovered more than was lost: no loss, never negative
        (LossHistory("E", 30, 0, 0), 8000),  # nothing charged off: the default
    ],
)
def test_the_observed_lgd_is_one_less_the_recovered_share_once_there_are_enough_losses(
    history: LossHistory | None, expected: int
) -> None:
    assert observed_lgd_e4(8000, history) == expected
