"""`AnalyticsService.training_set`: each loan booked from a scored application, its feature row then, and its outcome."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from fairlend.bootstrap import Container
from fairlend.money import Money
from fairlend.scoring.comprehensive import load_default_model
from fairlend.scoring.model import FEATURES
from fairlend.sim.simulate import SimConfig, simulate
from fairlend.sim.timing import Timer
from tests.lending.conftest import BASE


def test_the_training_set_holds_each_applied_loan_with_its_recorded_features_and_a_charge_off_as_bad(
    container: Container,
) -> None:
    report = simulate(container, SimConfig(borrowers=6, investors=0, days=3, seed=3), timer=Timer())
    assert len(report.loans) >= 3
    lending = container.lending
    charged = sorted(report.loans)[0]
    lending.charge_off(charged)
    # A loan booked without an application has no feature row: it is not in the set.
    lending.products.define(replace(BASE, code="direct", currency=container.profile.currency))
    direct = lending.book_loan("brw_direct", "direct", Money.of("3000", container.profile.currency))

    book = container.analytics.training_set()

    assert book.as_of == container.clock.business_date()
    assert sorted(r.loan_id for r in book.rows) == sorted(report.loans) and direct not in {r.loan_id for r in book.rows}
    assert [r.loan_id for r in book.rows if r.bad] == [charged] and book.bads == 1
    names = {f.name for f in FEATURES}
    for row in book.rows:
        assert set(row.features) == names
        assert all(isinstance(v, float) for v in row.features.values())
    # The rows are what was recorded at application: scored again by the shipped model, they give
    # the application scores (one per loan), missing values included.
    scoring = container.scoring
    assert scoring is not None
    applied = Counter(s.score for b in report.borrower_ids for s in scoring.history(b) if s.purpose == "application")
    rescored = Counter(load_default_model().score(row.features) for row in book.rows)
    assert rescored and all(applied[score] >= n for score, n in rescored.items())
