"""Classification at every threshold's boundary day, on both profiles, transitions only."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from fairlend.bootstrap import Container
from fairlend.finance.credit_loss import classify
from fairlend.finance.tables import finance_class_change
from fairlend.lending.tables import loan, loan_schedule_version
from fairlend.money import Money
from tests.lending.conftest import BASE

# Days past due either side of each threshold: FN-1 (1 / 91 / 271 / 361), FN-3 (31 / 91).
EDGES = {"cn": (0, 1, 90, 91, 270, 271, 360, 361, 900), "us": (0, 30, 31, 90, 91, 400)}
EXPECTED = {
    "cn": (
        "normal",
        "special_mention",
        "special_mention",
        "substandard",
        "substandard",
        "doubtful",
        "doubtful",
        "loss",
        "loss",
    ),
    "us": ("stage_1", "stage_1", "stage_2", "stage_2", "stage_3", "stage_3"),
}


def _book(container: Container, n: int) -> list[str]:
    currency = container.profile.currency
    container.lending.products.define(replace(BASE, currency=currency))
    return [container.lending.book_loan(f"brw_{i}", BASE.code, Money.of("5000", currency)) for i in range(n)]


def _set_dpd(container: Container, loan_id: str, dpd: int) -> None:
    with container.uow() as uow:
        uow.conn.execute(update(loan).where(loan.c.id == loan_id).values(dpd=dpd))
        uow.commit()


def _classes(container: Container) -> dict[str, str]:
    with container.uow(read_only=True) as uow:
        c = finance_class_change.c
        rows = uow.conn.execute(select(c.loan_id, c.to_class).where(c.latest == 1)).all()
    assert len(rows) == len({loan_id for loan_id, _ in rows}), "a loan has one current class at most"
    return dict(rows)


def _changes(container: Container) -> list[tuple[str, date, str, str]]:
    c = finance_class_change.c
    with container.uow(read_only=True) as uow:
        query = select(c.loan_id, c.business_date, c.from_class, c.to_class).order_by(c.business_date, c.loan_id)
        return [tuple(r) for r in uow.conn.execute(query)]


def test_each_threshold_classifies_on_its_boundary_day_on_both_profiles(profiled: Container) -> None:
    finance = profiled.profile.finance
    edges = EDGES[profiled.profile.code]
    loans = _book(profiled, len(edges))
    day = profiled.clock.business_date()
    for loan_id, dpd in zip(loans, edges, strict=True):
        _set_dpd(profiled, loan_id, dpd)
    with profiled.uow() as uow:
        changed = profiled.finance.classifier.run(uow, day)
        uow.commit()
    base = finance.classes[0].code
    stored = _classes(profiled)
    found = tuple(stored.get(loan_id, base) for loan_id in loans)
    assert found == EXPECTED[profiled.profile.code]
    # The SQL is the pure rule, loan by loan.
    assert found == tuple(classify(dpd, None, day, finance) for dpd in edges)
    # Transitions only: a loan in the first class has no row, and each move one change row.
    assert changed == sum(1 for c in found if c != base) == len(stored)
    # Re-running the day, or running the next with nothing changed, writes nothing.
    with profiled.uow() as uow:
        assert profiled.finance.classifier.run(uow, day) == 0
        assert profiled.finance.classifier.run(uow, day + timedelta(days=1)) == 0
        uow.commit()
    assert len(_changes(profiled)) == changed


def test_a_loan_crossing_a_threshold_moves_once_and_back_when_cured(profiled: Container) -> None:
    finance = profiled.profile.finance
    (loan_id,) = _book(profiled, 1)
    day = profiled.clock.business_date()
    second = finance.classes[1]
    steps = [(second.from_dpd - 1, 0), (second.from_dpd, 1), (second.from_dpd + 5, 2), (0, 3)]
    for dpd, offset in steps:
        _set_dpd(profiled, loan_id, dpd)
        with profiled.uow() as uow:
            profiled.finance.classifier.run(uow, day + timedelta(days=offset))
            uow.commit()
    base = finance.classes[0].code
    assert [(d, f, t) for _, d, f, t in _changes(profiled)] == [
        (day + timedelta(days=1), base, second.code),
        (day + timedelta(days=3), second.code, base),
    ]
    assert _classes(profiled) == {}


def test_a_loan_moving_between_classes_has_its_latest_move_as_its_only_current_class(profiled: Container) -> None:
    finance = profiled.profile.finance
    loan_id, other = _book(profiled, 2)
    day = profiled.clock.business_date()
    codes = [c.code for c in finance.classes]
    second, third = finance.classes[1], finance.classes[2]
    _set_dpd(profiled, other, second.from_dpd)  # a neighbour that stays put must keep its class throughout
    path = [second.from_dpd, third.from_dpd, second.from_dpd, third.from_dpd + 1, 0, second.from_dpd]
    for offset, dpd in enumerate(path):
        _set_dpd(profiled, loan_id, dpd)
        with profiled.uow() as uow:
            profiled.finance.classifier.run(uow, day + timedelta(days=offset))
            uow.commit()
        expected = classify(dpd, None, day + timedelta(days=offset), finance)
        current = _classes(profiled)
        assert current.get(loan_id, codes[0]) == expected
        assert current[other] == second.code
        assert profiled.finance.class_counts() == {
            (profiled.profile.currency, code): n
            for code, n in Counter([second.code, expected]).items()
            if code != codes[0]
        }
    assert len([c for c in _changes(profiled) if c[0] == loan_id]) == len(path)


def test_a_second_current_class_for_a_loan_is_refused_by_the_database(profiled: Container) -> None:
    finance = profiled.profile.finance
    (loan_id,) = _book(profiled, 1)
    day = profiled.clock.business_date()
    _set_dpd(profiled, loan_id, finance.classes[1].from_dpd)
    with profiled.uow() as uow:
        profiled.finance.classifier.run(uow, day)
        uow.commit()
    (row,) = _changes(profiled)
    with pytest.raises(IntegrityError), profiled.uow() as uow:
        uow.conn.execute(
            insert(finance_class_change).values(
                borrower_id="brw_0",
                loan_id=loan_id,
                business_date=day + timedelta(days=1),
                currency=profiled.profile.currency,
                from_class=finance.classes[1].code,
                to_class=finance.classes[2].code,
                dpd=finance.classes[2].from_dpd,
                restructured=0,
                latest=1,
            )
        )
        uow.commit()
    assert _changes(profiled) == [row]
    assert _classes(profiled) == {loan_id: finance.classes[1].code}


def test_a_restructured_loan_stays_at_least_at_the_profiles_floor_for_its_observation_period(
    profiled: Container,
) -> None:
    finance = profiled.profile.finance
    (loan_id,) = _book(profiled, 1)
    modified = profiled.clock.business_date()
    with profiled.uow() as uow:
        ln = uow.conn.execute(select(loan).where(loan.c.id == loan_id)).one()
        uow.conn.execute(
            insert(loan_schedule_version).values(
                borrower_id=ln.borrower_id,
                loan_id=loan_id,
                version=1,
                replaced_on=modified,
                replaced_by="term_extension",
                reference="plan_1",
                rate=ln.rate,
                installments=[],
                created_at=uow.clock.now(),
            )
        )
        uow.conn.execute(update(loan).where(loan.c.id == loan_id).values(schedule_version=2, dpd=0))
        uow.commit()
    observed = finance.restructured_observation_days
    last_observed = modified + timedelta(days=observed - 1)
    for day in (modified, last_observed, last_observed + timedelta(days=1)):
        with profiled.uow() as uow:
            profiled.finance.classifier.run(uow, day)
            uow.commit()
    assert [(d, t) for _, d, _, t in _changes(profiled)] == [
        (modified, finance.restructured_floor),
        (last_observed + timedelta(days=1), finance.classes[0].code),
    ]
    assert classify(0, modified, last_observed, finance) == finance.restructured_floor
    assert classify(0, modified, last_observed + timedelta(days=1), finance) == finance.classes[0].code
    # Worse by days past due than the floor: the days decide.
    worst = finance.classes[-1]
    assert classify(worst.from_dpd, modified, modified, finance) == worst.code
